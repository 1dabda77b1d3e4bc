/**
 * The messages of a FIFO queue by message group, each group in sequence-number order. A receive
 * walks the groups in the order they first appeared and takes from the head of each group that
 * has nothing in flight, so a group's messages arrive in order and one consumer at a time holds
 * a group — SQS FIFO's guarantees.
 */
import type { SqsMessage } from "./sqs-queue.ts";

export class FifoGroups {
  private readonly groups = new Map<string, SqsMessage[]>();

  add(msg: SqsMessage): void {
    const group = msg.groupId ?? "";
    let list = this.groups.get(group);
    if (!list) {
      list = [];
      this.groups.set(group, list);
    }
    // Sequence numbers are fixed-width, so string order is numeric order; new messages go last.
    let i = list.length;
    while (i > 0 && (list[i - 1].sequenceNumber ?? "") > (msg.sequenceNumber ?? "")) i--;
    list.splice(i, 0, msg);
  }

  remove(msg: SqsMessage): void {
    const group = msg.groupId ?? "";
    const list = this.groups.get(group);
    if (!list) return;
    const i = list.indexOf(msg);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.groups.delete(group);
  }

  clear(): void {
    this.groups.clear();
  }

  /**
   * Up to `max` messages, in group order, from groups with nothing in flight. `take` decides for
   * one visible message: true when it was delivered, false when it left the queue (expired,
   * dead-lettered), and the walk of its group goes on either way.
   */
  receive(max: number, now: number, take: (msg: SqsMessage) => boolean): SqsMessage[] {
    const out: SqsMessage[] = [];
    for (const list of [...this.groups.values()]) {
      if (out.length >= max) break;
      if (list.some((m) => inFlight(m, now))) continue;
      for (const msg of [...list]) {
        if (out.length >= max || msg.visibleAt > now) break;
        if (take(msg)) out.push(msg);
      }
    }
    return out;
  }

  /** When a receive could next return something: a held group's lock ending, or a delayed head becoming visible. */
  nextVisibleAt(now: number): number | undefined {
    let next: number | undefined;
    const consider = (at: number) => {
      next = next === undefined ? at : Math.min(next, at);
    };
    for (const list of this.groups.values()) {
      const held = list.filter((m) => inFlight(m, now));
      if (held.length) consider(Math.min(...held.map((m) => m.visibleAt)));
      else if (list.length) consider(list[0].visibleAt);
    }
    return next;
  }
}

function inFlight(msg: SqsMessage, now: number): boolean {
  return msg.receiveCount > 0 && msg.visibleAt > now;
}
