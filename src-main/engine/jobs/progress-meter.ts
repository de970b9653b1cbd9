/** Rate and ETA from byte counts: an exponentially smoothed rate so the ETA does not jump around. */
export class ProgressMeter {
  private lastBytes = 0;
  private lastTime = performance.now();
  rate = 0;

  update(bytesDone: number): void {
    const now = performance.now();
    const elapsed = (now - this.lastTime) / 1000;
    if (elapsed < 0.25) return;
    const instant = Math.max(0, bytesDone - this.lastBytes) / elapsed;
    this.rate = this.rate === 0 ? instant : this.rate * 0.7 + instant * 0.3;
    this.lastBytes = bytesDone;
    this.lastTime = now;
  }

  /** Starts over from zero bytes (a task's next attempt). */
  reset(): void {
    this.lastBytes = 0;
    this.lastTime = performance.now();
    this.rate = 0;
  }

  eta(bytesDone: number, bytesTotal: number): number | undefined {
    if (this.rate <= 0 || bytesTotal <= bytesDone) return undefined;
    return Math.round((bytesTotal - bytesDone) / this.rate);
  }
}
