import yazl from 'yazl';

export interface ZipItem {
  name: string;
  data?: Buffer | string;
  /** Unix mode, file type bits included (0o120777 a symlink, 0o020666 a character device). */
  mode?: number;
  dir?: boolean;
}

/** Builds a zip in memory with yazl. */
export function makeZip(items: ZipItem[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const it of items) {
    if (it.dir) zip.addEmptyDirectory(it.name);
    else zip.addBuffer(Buffer.from(it.data ?? ''), it.name, it.mode ? { mode: it.mode } : {});
  }
  zip.end();
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}

/**
 * A hostile archive yazl would refuse to write (`../x`, `/abs`): written under a harmless
 * placeholder name of the same length, then the name's bytes are swapped in the local header and
 * the central directory. The offsets stay valid; only the name changes.
 */
export async function hostileZip(placeholder: string, evil: string, data = 'pwned'): Promise<Buffer> {
  if (Buffer.byteLength(placeholder) !== Buffer.byteLength(evil)) throw new Error('the names must have the same length');
  const buf = await makeZip([{ name: placeholder, data }]);
  const from = Buffer.from(placeholder);
  let at = buf.indexOf(from);
  let swapped = 0;
  while (at !== -1) {
    Buffer.from(evil).copy(buf, at);
    swapped++;
    at = buf.indexOf(from, at + from.length);
  }
  if (swapped !== 2) throw new Error(`expected the name twice in the archive, found it ${swapped} times`);
  return buf;
}
