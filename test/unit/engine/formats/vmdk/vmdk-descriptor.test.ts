import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  looksLikeVmdkDescriptor,
  parseVmdkDescriptor,
} from '../../../../../src-main/engine/formats/vmdk/vmdk-descriptor';
import { VmdkImage } from '../../../../../src-main/engine/formats/vmdk/vmdk-image';

const SPLIT = `# Disk DescriptorFile
version=1
CID=2e1a3f5c
parentCID=7b0d9e11
createType="twoGbMaxExtentSparse"
parentFileNameHint="../base images/web-01.vmdk"

# Extent description
RW 4192256 SPARSE "web-01-000001-s001.vmdk"
RW 4192256 SPARSE "web-01-000001-s002.vmdk"
RW 2048 ZERO
RDONLY 100 FLAT "my disk-flat.vmdk" 2048

# The Disk Data Base
#DDB
ddb.adapterType = "lsilogic"
`;

describe('VMDK descriptors', () => {
  it('reads create type, parent hint and every extent line', () => {
    const d = parseVmdkDescriptor(SPLIT, '/vm/web-01-000001.vmdk');
    expect(d.createType).toBe('twoGbMaxExtentSparse');
    expect(d.parentFileNameHint).toBe('../base images/web-01.vmdk');
    expect(d.extents).toEqual([
      {
        access: 'RW',
        sectors: 4192256,
        type: 'SPARSE',
        file: 'web-01-000001-s001.vmdk',
        offsetSectors: 0,
      },
      {
        access: 'RW',
        sectors: 4192256,
        type: 'SPARSE',
        file: 'web-01-000001-s002.vmdk',
        offsetSectors: 0,
      },
      { access: 'RW', sectors: 2048, type: 'ZERO', file: undefined, offsetSectors: 0 },
      {
        access: 'RDONLY',
        sectors: 100,
        type: 'FLAT',
        file: 'my disk-flat.vmdk',
        offsetSectors: 2048,
      },
    ]);
    expect(looksLikeVmdkDescriptor(Buffer.from(SPLIT))).toBe(true);
  });

  it('ignores the parent hint of a disk without parent (parentCID ffffffff)', () => {
    const d = parseVmdkDescriptor(
      SPLIT.replace('parentCID=7b0d9e11', 'parentCID=ffffffff'),
      'x.vmdk',
    );
    expect(d.parentFileNameHint).toBeUndefined();
  });

  it('names the descriptor when it has no extents', () => {
    expect(() =>
      parseVmdkDescriptor('# Disk DescriptorFile\ncreateType="monolithicFlat"\n', '/vm/a.vmdk'),
    ).toThrow('vmdk descriptor /vm/a.vmdk: no extent lines');
  });
});

describe('VMDK extent files', () => {
  it('refuses a descriptor whose extents point outside its directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hk-vmdk-unit-'));
    try {
      const path = join(dir, 'evil.vmdk');
      await writeFile(
        path,
        '# Disk DescriptorFile\ncreateType="monolithicFlat"\nRW 8 FLAT "../../etc/passwd" 0\n',
      );
      await expect(VmdkImage.open(path)).rejects.toThrow(
        `vmdk image ${path}: extent file "../../etc/passwd" lies outside the descriptor's directory ${dir}`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
