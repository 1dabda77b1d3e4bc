// Test handler: on a record's first delivery it never answers (a hung call); on a redelivery it succeeds.
export const handler = async (event) => {
  if (event.Records.some((r) => r.attributes.ApproximateReceiveCount === "1")) {
    await new Promise(() => setInterval(() => undefined, 1_000));
  }
  return { batchItemFailures: [] };
};
