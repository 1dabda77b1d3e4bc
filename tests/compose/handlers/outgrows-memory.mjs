// Test handler: on a record's first delivery it keeps allocating (and touching) memory until the
// memory limit kills its process; on a redelivery it succeeds, so the test sees the record return.
const held = [];

export const handler = async (event) => {
  if (event.Records.some((r) => r.attributes.ApproximateReceiveCount === "1")) {
    for (;;) held.push(Buffer.alloc(16 * 1024 * 1024, 1));
  }
  return { batchItemFailures: [] };
};
