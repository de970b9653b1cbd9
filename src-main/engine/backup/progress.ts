import type { BackupPhase, BackupProgress } from './types';

/** Keeps the running totals of one VM's backup and reports them with every change. */
export class ProgressTracker {
  private current: BackupPhase = 'pre-script';
  private bytesDone = 0;
  private bytesTotal = 0;

  constructor(private readonly report: (progress: BackupProgress) => void) {}

  phase(phase: BackupPhase, disk?: string): void {
    this.current = phase;
    this.emit(disk);
  }

  /** More bytes to read were planned (one disk's changed or allocated data). */
  addTotal(bytes: number): void {
    this.bytesTotal += bytes;
  }

  read(bytes: number, disk: string): void {
    this.bytesDone += bytes;
    this.emit(disk);
  }

  private emit(disk?: string): void {
    const progress: BackupProgress = {
      phase: this.current,
      bytesDone: this.bytesDone,
      bytesTotal: Math.max(this.bytesTotal, this.bytesDone),
    };
    if (disk !== undefined) progress.disk = disk;
    this.report(progress);
  }
}
