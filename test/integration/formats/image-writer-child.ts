import { createImageWriter } from '../../../src-main/engine/formats/writers/index';

/**
 * A restore in progress for the SIGKILL test: writes part of a disk into the image named on the
 * command line, says "written", then waits to be killed without ever finishing.
 */
const path = process.argv[2];
if (path === undefined) throw new Error('usage: image-writer-child.ts IMAGE');
const writer = await createImageWriter('qcow2', path, 64 * 1024 * 1024);
for (let offset = 0; offset < 8 * 1024 * 1024; offset += 1024 * 1024) {
  await writer.write(offset, Buffer.alloc(1024 * 1024, 0x42));
}
process.stdout.write('written\n');
setInterval(() => undefined, 60_000);
