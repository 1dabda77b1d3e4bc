/** Outcomes of the contract cases per backend, printed as one markdown table at the end of the run. */
export type Outcome = "pass" | "known-deviation" | "fail" | "skip";

export class ContractResults {
  readonly #rows = new Map<string, Record<Outcome, number>>();
  readonly #notes = new Map<string, string>();

  record(backend: string, outcome: Outcome): void {
    const row = this.#rows.get(backend) ?? { pass: 0, "known-deviation": 0, fail: 0, skip: 0 };
    row[outcome]++;
    this.#rows.set(backend, row);
  }

  note(backend: string, text: string): void {
    this.#notes.set(backend, text);
  }

  table(): string {
    const lines = ["| backend | pass | known deviation | fail | skip | note |", "|---|---|---|---|---|---|"];
    for (const backend of new Set([...this.#rows.keys(), ...this.#notes.keys()])) {
      const r = this.#rows.get(backend) ?? { pass: 0, "known-deviation": 0, fail: 0, skip: 0 };
      lines.push(`| ${backend} | ${r.pass} | ${r["known-deviation"]} | ${r.fail} | ${r.skip} | ${this.#notes.get(backend) ?? ""} |`);
    }
    return lines.join("\n");
  }
}
