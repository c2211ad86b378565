import type { Browser, Page } from 'playwright-core';

/** Chromium flags for a fake microphone that plays `wavFile` (looped) to getUserMedia. */
export function fakeMicrophoneArgs(wavFile: string): string[] {
  return ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-audio-capture=${wavFile}`, '--autoplay-policy=no-user-gesture-required'];
}

/**
 * Records `ms` of the fake microphone with MediaRecorder in a page of `origin` (a secure
 * context: http://127.0.0.1 counts), as the browser UI does, and returns the bytes and their
 * MIME type (webm/opus in Chromium).
 */
export async function recordMicrophone(browser: Browser, origin: string, ms: number): Promise<{ bytes: Buffer; mimeType: string; page: Page }> {
  const page = await browser.newPage();
  await page.goto(origin);
  const out = await page.evaluate(async (duration) => {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const rec = new MediaRecorder(stream, { mimeType: 'audio/webm;codecs=opus' });
    const parts: Blob[] = [];
    rec.ondataavailable = (e) => parts.push(e.data);
    const stopped = new Promise((r) => (rec.onstop = r));
    rec.start(250);
    await new Promise((r) => setTimeout(r, duration));
    rec.stop();
    await stopped;
    stream.getTracks().forEach((t) => t.stop());
    const blob = new Blob(parts, { type: rec.mimeType });
    const buf = new Uint8Array(await blob.arrayBuffer());
    let bin = '';
    for (let i = 0; i < buf.length; i += 0x8000) bin += String.fromCharCode(...buf.subarray(i, i + 0x8000));
    return { b64: btoa(bin), mimeType: rec.mimeType };
  }, ms);
  return { bytes: Buffer.from(out.b64, 'base64'), mimeType: out.mimeType, page };
}
