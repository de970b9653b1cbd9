/**
 * What is on the lab's disks. Tests import these recipes to know which files a backup or a
 * file-level restore must find, so the lab and its assertions cannot drift apart.
 */

/** One entry of a file tree. Paths are absolute inside the file system. */
export type TreeEntry =
  | { path: string; text: string; uid?: number }
  | { path: string; blob: { seed: number; size: number }; uid?: number }
  | { path: string; symlink: string; uid?: number }
  | { path: string; dir: true; uid?: number };

export interface Ext4Volume {
  fs: 'ext4';
  label: string;
  uuid: string;
  sizeMiB: number;
  tree: TreeEntry[];
}

/** mkntfs + ntfscp cannot make directories without a FUSE mount, so NTFS holds root files only. */
export interface NtfsVolume {
  fs: 'ntfs';
  label: string;
  sizeMiB: number;
  files: { name: string; text: string }[];
}

export interface FatVolume {
  fs: 'vfat';
  label: string;
  sizeMiB: number;
  tree: TreeEntry[];
}

export type Volume = Ext4Volume | NtfsVolume | FatVolume;

export interface DiskRecipe {
  sizeMiB: number;
  /** 'none': a single file system spans the whole disk, as on a data disk formatted without one. */
  partitionTable: 'gpt' | 'mbr' | 'none';
  /** Fixed so sfdisk dumps are reproducible: a GPT GUID or an MBR disk id such as 0x4b1a2c3d. */
  labelId?: string;
  volumes: Volume[];
}

/** Every file of the lab gets this modification time, so listings are reproducible. */
export const LAB_FILE_MTIME = new Date('2024-05-01T12:00:00Z');

/** uid/gid of the user "alice" that owns the home directory (applied when the lab runs as root). */
export const ALICE_UID = 1000;

const debian12OsRelease = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
`;

/** Names for the owners of the lab's files: without them a file browser can only show uids. */
const debianPasswd = `root:x:0:0:root:/root:/bin/bash
alice:x:${ALICE_UID}:${ALICE_UID}:Alice,,,:/home/alice:/bin/bash
`;
const debianGroup = `root:x:0:
alice:x:${ALICE_UID}:
`;

function debianSystemFiles(hostname: string, fstab: string): TreeEntry[] {
  return [
    { path: '/etc/os-release', text: debian12OsRelease },
    { path: '/etc/hostname', text: `${hostname}\n` },
    { path: '/etc/passwd', text: debianPasswd },
    { path: '/etc/group', text: debianGroup },
    {
      path: '/etc/fstab',
      text: `# <file system> <mount point> <type> <options> <dump> <pass>\n${fstab}`,
    },
  ];
}

const WEB_ROOT_UUID = '6a1f3c52-2b7e-4d1a-9a43-0c8e5f7b2d10';
const DB_ROOT_UUID = '0d9b7e61-3c2f-4a58-b1e4-7f6a2c9d8e21';
const DB_DATA_UUID = '9c4e2a17-5d3b-4f86-a2c1-3b7d6e8f9a32';
const ARCHIVE_ROOT_UUID = 'b2e8d4f3-7a1c-4e95-8d26-5c3f1a9b7e43';

export const WEB_NOTES =
  'Renew the TLS certificate before June.\nAsk Bob about the backup window.\n';
export const WEB_REPORT = 'Quarterly report\n================\nRevenue grew 12 % over Q1.\n';
/** A name with accents, CJK characters and spaces, to catch encoding bugs in listings. */
export const UNICODE_NAME = 'Résumé – 日本語 notes.txt';

export const LAB_DISKS = {
  'web-01-vda': {
    sizeMiB: 128,
    partitionTable: 'gpt',
    labelId: '5A0C6F1E-7B2D-4C3A-9E1F-0A1B2C3D4E01',
    volumes: [
      {
        fs: 'ext4',
        label: 'web-root',
        uuid: WEB_ROOT_UUID,
        sizeMiB: 126,
        tree: [
          ...debianSystemFiles(
            'lab-web-01',
            `UUID=${WEB_ROOT_UUID} / ext4 errors=remount-ro 0 1\n`,
          ),
          { path: '/home/alice', dir: true, uid: ALICE_UID },
          { path: '/home/alice/notes.txt', text: WEB_NOTES, uid: ALICE_UID },
          { path: '/home/alice/docs', dir: true, uid: ALICE_UID },
          { path: '/home/alice/docs/report.txt', text: WEB_REPORT, uid: ALICE_UID },
          { path: '/home/alice/docs/data.bin', blob: { seed: 7, size: 1 << 20 }, uid: ALICE_UID },
          { path: `/home/alice/${UNICODE_NAME}`, text: 'Ünïcödé content ✓\n', uid: ALICE_UID },
          { path: '/home/alice/latest-report', symlink: 'docs/report.txt', uid: ALICE_UID },
          { path: '/home/alice/empty.txt', text: '', uid: ALICE_UID },
          { path: '/var/www/html/index.html', text: '<!doctype html><title>lab-web-01</title>\n' },
        ],
      },
    ],
  },
  'db-01-vda': {
    sizeMiB: 96,
    partitionTable: 'gpt',
    labelId: '5A0C6F1E-7B2D-4C3A-9E1F-0A1B2C3D4E02',
    volumes: [
      {
        fs: 'ext4',
        label: 'db-root',
        uuid: DB_ROOT_UUID,
        sizeMiB: 94,
        tree: debianSystemFiles(
          'lab-db-01',
          `UUID=${DB_ROOT_UUID} / ext4 errors=remount-ro 0 1\n` +
            `UUID=${DB_DATA_UUID} /var/lib/postgresql ext4 defaults 0 2\n`,
        ),
      },
    ],
  },
  'db-01-vdb': {
    sizeMiB: 128,
    partitionTable: 'none',
    volumes: [
      {
        fs: 'ext4',
        label: 'pgdata',
        uuid: DB_DATA_UUID,
        sizeMiB: 128,
        tree: [
          { path: '/15/main/PG_VERSION', text: '15\n' },
          { path: '/exports/customers.csv', text: 'id,name\n1,Alice\n2,Bob\n3,Chloé\n' },
          { path: '/exports/orders.csv', text: 'id,customer,total\n10,1,99.50\n11,3,12.00\n' },
          { path: '/15/main/base/16384/2619', blob: { seed: 42, size: 2 << 20 } },
        ],
      },
    ],
  },
  'archive-01-vda': {
    sizeMiB: 64,
    partitionTable: 'gpt',
    labelId: '5A0C6F1E-7B2D-4C3A-9E1F-0A1B2C3D4E03',
    volumes: [
      {
        fs: 'ext4',
        label: 'archive-root',
        uuid: ARCHIVE_ROOT_UUID,
        sizeMiB: 62,
        tree: [
          ...debianSystemFiles('lab-archive-01', `UUID=${ARCHIVE_ROOT_UUID} / ext4 defaults 0 1\n`),
          { path: '/srv/archive/README', text: 'Closed ledgers, kept for ten years.\n' },
          { path: '/srv/archive/2023/q1.csv', text: 'month,total\n1,100\n2,110\n3,120\n' },
          { path: '/srv/archive/2023/q2.csv', text: 'month,total\n4,130\n5,140\n6,150\n' },
        ],
      },
    ],
  },
  'win-01-vda': {
    sizeMiB: 192,
    partitionTable: 'mbr',
    labelId: '0x4b1a2c3d',
    volumes: [
      {
        fs: 'ntfs',
        label: 'WINSYS',
        sizeMiB: 96,
        files: [
          { name: 'README.txt', text: 'Windows system volume of lab-win-01.\r\n' },
          { name: 'boot.ini', text: '[boot loader]\r\ntimeout=30\r\n' },
          { name: 'Überblick.txt', text: 'Übersicht der Dienste\r\n' },
        ],
      },
      {
        fs: 'vfat',
        label: 'DATA',
        sizeMiB: 94,
        tree: [
          { path: '/Notes.txt', text: 'Shared drive of lab-win-01.\r\n' },
          { path: '/Documents', dir: true },
          { path: '/Documents/A long file name for testing.txt', text: 'long names work\r\n' },
          { path: '/Documents/budget-2024.csv', text: 'item,eur\r\nservers,1200\r\n' },
        ],
      },
    ],
  },
} satisfies Record<string, DiskRecipe>;

export type LabImageName = keyof typeof LAB_DISKS;

/** Reproducible pseudo-random bytes (xorshift32): incompressible, like real data, yet checkable. */
export function deterministicBytes(seed: number, size: number): Buffer {
  const out = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i + 4 <= size; i += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out.writeUInt32LE(x, i);
  }
  return out;
}
