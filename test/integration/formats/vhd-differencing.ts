import { readFile, truncate, writeFile } from 'node:fs/promises';
import { DISK_MIB } from './test-disks';

/**
 * Rewrites a qemu-made dynamic VHD as a differencing disk of `parent`: disk type 4, parent name
 * and a W2ru (relative) locator, and trims the sector bitmap of the block at 2 MiB so that only
 * 3 MiB..3.5 MiB belong to the child. Returns how many blocks the child has allocated.
 */
export async function makeVhdDifferencing(
  child: string,
  parent: string,
  relative: string,
): Promise<number> {
  const file = Buffer.from(await readFile(child));
  const parentFooter = Buffer.from(await readFile(parent)).subarray(-512);
  const footer = Buffer.from(file.subarray(-512));
  const body = file.subarray(0, file.length - 512);
  const checksum = (b: Buffer, at: number): void => {
    b.writeUInt32BE(0, at);
    let sum = 0;
    for (const x of b) sum += x;
    b.writeUInt32BE(~sum >>> 0, at);
  };
  footer.writeUInt32BE(4, 60);
  checksum(footer, 64);
  footer.copy(body, 0); // the copy of the footer at the start of a dynamic disk

  const dyn = body.subarray(512, 1536);
  parentFooter.copy(dyn, 40, 68, 84); // parent unique id
  const name = Buffer.from('parent.vhd', 'utf16le').swap16();
  dyn.fill(0, 64, 576);
  name.copy(dyn, 64);
  const locator = Buffer.alloc(512);
  const locatorText = Buffer.from(relative, 'utf16le');
  locatorText.copy(locator);
  dyn.writeUInt32BE(0x57327275, 576); // 'W2ru'
  dyn.writeUInt32BE(512, 580);
  dyn.writeUInt32BE(locatorText.length, 584);
  dyn.writeBigUInt64BE(BigInt(body.length), 592);
  checksum(dyn, 36);

  const tableOffset = Number(dyn.readBigUInt64BE(16));
  const blockSize = dyn.readUInt32BE(32);
  const blocks = Math.ceil((DISK_MIB << 20) / blockSize);
  let allocated = 0;
  for (let i = 0; i < blocks; i++) {
    const sector = body.readUInt32BE(tableOffset + i * 4);
    if (sector === 0xffffffff) continue;
    allocated++;
    if (i === 1) {
      const bitmap = body.subarray(sector * 512, sector * 512 + 512);
      bitmap.fill(0);
      // Sectors 2048..3071 of the block (3 MiB..3.5 MiB of the disk), most significant bit first.
      bitmap.fill(0xff, 2048 / 8, 3072 / 8);
    }
  }
  await writeFile(child, Buffer.concat([body, locator, footer]));
  await truncate(child, body.length + 1024);
  return allocated;
}
