/**
 * One progress line per task: rewritten in place on a terminal, otherwise printed at most every
 * few seconds, so a log file stays readable.
 */
export class Progress {
  private last = 0;
  private readonly tty = Boolean(process.stdout.isTTY);

  constructor(private readonly label: string) {}

  update(text: string): void {
    const now = Date.now();
    if (this.tty) {
      process.stdout.write(`\r\x1b[2K  ${this.label}: ${text}`);
    } else if (now - this.last >= 5000) {
      console.log(`  ${this.label}: ${text}`);
      this.last = now;
    }
  }

  done(text: string): void {
    if (this.tty) process.stdout.write('\r\x1b[2K');
    console.log(`  ${this.label}: ${text}`);
  }
}

const began = Date.now();

/** A phase of the run, with the time since the run began. */
export const step = (text: string): void => console.log(`\n== ${text} [${((Date.now() - began) / 1000).toFixed(0)} s]`);
