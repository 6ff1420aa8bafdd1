// What each peer address holds at once (connections, requests whose password is not checked
// yet), against a cap. Memory follows what is held: an address holding nothing is forgotten.

export class PerAddressCount {
  private readonly counts = new Map<string, number>();

  constructor(readonly max: number) {}

  /** Takes one for `address`: false, and nothing taken, when it already holds `max`. */
  take(address: string): boolean {
    const held = this.counts.get(address) ?? 0;
    if (held >= this.max) return false;
    this.counts.set(address, held + 1);
    return true;
  }

  release(address: string): void {
    const held = this.counts.get(address) ?? 0;
    if (held <= 1) this.counts.delete(address);
    else this.counts.set(address, held - 1);
  }
}
