import { expect } from 'vitest';
import { catalogPoint } from '../../../src-main/engine/file-catalog/catalog-point';
import { decodePointIndex } from '../../../src-main/engine/file-catalog/point-index-object';
import type { PointManifest } from '../../../src-main/engine/repository/manifest';
import type { Repository } from '../../../src-main/engine/repository/repository';
import {
  catalogDump,
  openTempCatalog,
  type TempCatalog,
} from '../../unit/engine/file-catalog/temp-catalog';
import { writeImage } from '../repository/helpers';

/**
 * Points of raw disk images stored in a repository and cataloged the way a job does, each one
 * incrementally into a catalog that has all the points before it, and whole into a fresh one:
 * the two must hold the same (incremental cataloging is an optimisation, never a difference).
 */
export class DeltaCheck {
  /** Catalogs every point in turn: the second onwards from what changed. */
  readonly incremental: TempCatalog = openTempCatalog('hk-delta-incremental-');

  /** The id of the newest point stored. */
  lastPointId?: string;

  constructor(
    private readonly repository: Repository,
    private readonly vm: { uuid: string; name: string },
    /** Disk name → raw image file, read at each point. */
    private readonly disks: Record<string, string>,
  ) {}

  async storePoint(): Promise<PointManifest> {
    const writer = await this.repository.startPoint({ vm: this.vm });
    for (const [name, image] of Object.entries(this.disks)) await writeImage(writer, name, image);
    const manifest = await writer.commit({ consistency: 'crash-consistent' });
    this.lastPointId = manifest.id;
    return manifest;
  }

  catalogWith(catalog: TempCatalog, manifest: PointManifest) {
    return catalogPoint({
      catalog: catalog.catalog,
      repository: this.repository,
      repositoryName: 'r',
      manifest,
    });
  }

  /** The point's file index object as path → record (positions resolved to paths). */
  async indexTree(pointId: string): Promise<Map<string, string>> {
    const data = await this.repository.getFileIndex(pointId);
    const index = decodePointIndex(data!, pointId);
    const paths: string[] = [];
    const tree = new Map<string, string>();
    for (const { volume, record } of index.records()) {
      const path = record.parent < 0 ? '' : `${paths[record.parent]}/${record.name}`;
      paths.push(path);
      const { parent: _parent, extents, ...rest } = record;
      tree.set(
        `${volume}:${path}`,
        JSON.stringify({ ...rest, extents: extents && Buffer.from(extents).toString('hex') }),
      );
    }
    return tree;
  }

  /**
   * Stores a new point and catalogs it incrementally, and whole in a fresh catalog; both
   * catalogs (volume `volume`) and both file index objects must be the same. Returns the
   * incremental's notes (how each volume was cataloged).
   */
  async expectDeltaEqualsFullWalk(volume: string, expectDelta: boolean): Promise<string[]> {
    const manifest = await this.storePoint();
    const result = await this.catalogWith(this.incremental, manifest);
    const deltaIndex = await this.indexTree(manifest.id);
    const whole = openTempCatalog('hk-delta-whole-');
    try {
      const reference = await this.catalogWith(whole, manifest);
      expect(reference.notes.join('\n')).toMatch(/walked whole/);
      expect(catalogDump(this.incremental, manifest.id, volume)).toEqual(
        catalogDump(whole, manifest.id, volume),
      );
      expect(result.files).toBe(reference.files);
      expect(result.volumes).toEqual(reference.volumes);
      const wholeIndex = await this.indexTree(manifest.id);
      expect([...deltaIndex.keys()].sort()).toEqual([...wholeIndex.keys()].sort());
      for (const [path, record] of wholeIndex) expect(deltaIndex.get(path), path).toBe(record);
    } finally {
      whole.remove();
    }
    if (expectDelta)
      expect(result.notes.join('\n')).toMatch(
        new RegExp(`${volume}: \\d+ entries in \\d+ changed folders indexed since`),
      );
    return result.notes;
  }

  remove(): void {
    this.incremental.remove();
  }
}
