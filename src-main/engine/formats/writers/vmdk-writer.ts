import { HyperkeepError } from '../../../../shared/errors';
import { SECTOR, PlacedImageWriter, WRITE_ALIGNMENT } from './image-writer';
import type { PartialFile } from './partial-file';
import {
  DESCRIPTOR_OFFSET,
  DESCRIPTOR_SECTORS,
  FLAG_REDUNDANT_GRAIN_TABLE,
  FLAG_VALID_NEWLINE_TEST,
  GRAIN_SECTORS,
  GTES_PER_GT,
  GT_COVERAGE,
  GT_SECTORS,
  MAX_FILE_SECTORS,
  checkVmdkSize,
  descriptor,
  sparseHeader,
} from './vmdk-layout';

/*
 * A monolithicSparse VMDK (VMware "Virtual Disk Format 1.1", hosted sparse extent) laid out the
 * way qemu-img and VMware Workstation lay it out, which vSphere imports (vmkfstools -i) and qemu
 * reads:
 *
 *   sector 0        sparse extent header
 *   sectors 1..20   embedded text descriptor
 *   then            redundant grain directory, redundant grain tables (all of them),
 *                   grain directory, grain tables (all of them)
 *   then            grains (64 KiB) in write order, from the first grain-aligned sector
 *
 * Every grain table has a fixed place, so the directories are known up front and only the table
 * being filled is held in memory. Tables of untouched 32 MiB ranges stay holes (all zero:
 * "grain not allocated", which reads as zeros).
 */

export class VmdkWriter extends PlacedImageWriter {
  private readonly capacitySectors: number;
  private readonly gtCount: number;
  private readonly gdSectors: number;
  private readonly rgdOffset: number;
  private readonly gdOffset: number;
  /** First sector of the grains, after all the tables. */
  private readonly grainOffset: number;
  /** Next free sector for a grain. */
  private nextSector: number;
  private current: { index: number; table: Buffer } | undefined;

  private constructor(file: PartialFile, sizeBytes: number, virtualSize: number) {
    super(file, sizeBytes);
    this.capacitySectors = virtualSize / SECTOR;
    this.gtCount = Math.ceil(virtualSize / GT_COVERAGE);
    this.gdSectors = Math.ceil((this.gtCount * 4) / SECTOR);
    this.rgdOffset = DESCRIPTOR_OFFSET + DESCRIPTOR_SECTORS;
    this.gdOffset = this.rgdOffset + this.gdSectors + this.gtCount * GT_SECTORS;
    const overhead = this.tableSector(this.gdOffset, this.gtCount);
    this.grainOffset = Math.ceil(overhead / GRAIN_SECTORS) * GRAIN_SECTORS;
    this.nextSector = this.grainOffset;
  }

  static checkSize(virtualSize: number): void {
    checkVmdkSize(virtualSize);
  }

  static create(file: PartialFile, sizeBytes: number, virtualSize: number): VmdkWriter {
    return new VmdkWriter(file, sizeBytes, virtualSize);
  }

  protected async place(offset: number): Promise<number> {
    const grain = offset / WRITE_ALIGNMENT;
    const index = Math.floor(grain / GTES_PER_GT);
    if (this.current?.index !== index) {
      await this.writeCurrentTable();
      this.current = { index, table: Buffer.alloc(GTES_PER_GT * 4) };
    }
    const sector = this.nextSector;
    if (sector + GRAIN_SECTORS > MAX_FILE_SECTORS) {
      throw new HyperkeepError('INVALID_INPUT', `${this.file.path}: the VMDK grew past 2 TiB`);
    }
    this.nextSector += GRAIN_SECTORS;
    this.current.table.writeUInt32LE(sector, (grain % GTES_PER_GT) * 4);
    return sector * SECTOR;
  }

  /** Sector of grain table `index` in the primary (gd) or redundant (rgd) set. */
  private tableSector(directory: number, index: number): number {
    return directory + this.gdSectors + index * GT_SECTORS;
  }

  private async writeCurrentTable(): Promise<void> {
    if (this.current === undefined) return;
    const { index, table } = this.current;
    await this.file.write(this.tableSector(this.rgdOffset, index) * SECTOR, table);
    await this.file.write(this.tableSector(this.gdOffset, index) * SECTOR, table);
    this.current = undefined;
  }

  protected async finalize(): Promise<void> {
    await this.writeCurrentTable();
    await this.file.write(0, this.header());
    await this.file.write(
      DESCRIPTOR_OFFSET * SECTOR,
      descriptor(this.file.path, 'monolithicSparse', this.capacitySectors),
    );
    for (const directory of [this.rgdOffset, this.gdOffset]) {
      const gd = Buffer.alloc(this.gdSectors * SECTOR);
      for (let i = 0; i < this.gtCount; i++)
        gd.writeUInt32LE(this.tableSector(directory, i), i * 4);
      await this.file.write(directory * SECTOR, gd);
    }
    await this.file.truncate(this.nextSector * SECTOR);
  }

  private header(): Buffer {
    return sparseHeader({
      version: 1,
      flags: FLAG_VALID_NEWLINE_TEST | FLAG_REDUNDANT_GRAIN_TABLE,
      capacitySectors: this.capacitySectors,
      rgdOffset: this.rgdOffset,
      gdOffset: BigInt(this.gdOffset),
      grainOffset: this.grainOffset,
      compressAlgorithm: 0,
    });
  }
}
