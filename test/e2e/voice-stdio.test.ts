import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { MessageConnection, ResponseError } from 'vscode-jsonrpc/node';
import { ErrorCodes } from '../../src/host/errors.js';
import type { SpawnedCli } from '../support/spawn-cli.js';
import { lspStyleClient } from '../support/stdio-client.js';
import { tempHome } from '../support/temp-home.js';
import { enginesOrSkip, wordOverlap } from '../support/voice-engines.js';
import { startWyomingServer, type WyomingTestServer } from '../support/wyoming-server.js';
import { collectAudio, wavOf } from '../plugins/voice/helpers.js';

const fail = (p: Promise<unknown>) => p.then(() => null, (e: ResponseError<any>) => e);

describe('e2e: voice over `switchboard stdio` with voice.json', function () {
  this.timeout(60_000);
  let wy: WyomingTestServer;
  let home: ReturnType<typeof tempHome>;
  let cli: SpawnedCli;
  let client: MessageConnection;

  before(async function () {
    enginesOrSkip(this);
    wy = await startWyomingServer({ streaming: true });
    home = tempHome();
    writeFileSync(path.join(home.dir, 'voice.json'), JSON.stringify({ stt: { url: wy.url, language: 'en' }, tts: { url: wy.url, voice: 'slt' } }));
    ({ cli, client } = lspStyleClient(home.dir));
  });
  after(async () => {
    client?.dispose();
    await cli?.kill();
    await wy?.close();
    home?.remove();
  });

  it('speaks with voice/audio notifications, hears it back, and keeps serving after a server dies', async () => {
    const audio = collectAudio(client);
    const status = await client.sendRequest<any>('voice/status');
    expect(status.tts).to.include({ protocol: 'wyoming', reachable: true, voice: 'slt' });
    const phrase = 'please open the door. what time is it now';
    const r = await client.sendRequest<any>('voice/tts', { text: phrase });
    expect(r.sentences).to.equal(2);
    expect(audio.notes).to.have.length(r.chunks);
    const heard = await client.sendRequest<any>('voice/stt', { audio: wavOf(audio.pcm(), r.format).toString('base64'), mimeType: 'audio/wav' });
    expect(wordOverlap(phrase, heard.text)).to.be.greaterThan(0.5);

    await wy.close();
    const e = await fail(client.sendRequest('voice/tts', { text: 'anyone there?' }));
    expect(e?.code).to.equal(ErrorCodes.Unavailable);
    expect(e?.message).to.include(wy.url);
    expect(await client.sendRequest('host/ping')).to.not.equal(undefined);
    expect(cli.stderr()).to.not.include('"level":50');
  });
});
