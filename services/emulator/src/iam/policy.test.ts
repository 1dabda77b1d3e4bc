import { describe, expect, it } from "vitest";
import { isAllowed, matchesWildcard, type Principal } from "./policy.ts";

const queueArn = "arn:aws:sqs:us-east-1:000000000000:bluemoxon-local-image-processing";
const principal = (statements: Principal["statements"], admin?: boolean): Principal => ({
  name: "api",
  accessKeyId: "AKIAAAAAAAAAAAAAAAAA",
  secretAccessKey: "x".repeat(40),
  admin,
  statements,
});

describe("isAllowed", () => {
  it("allows only listed actions on listed resources", () => {
    const p = principal([{ Effect: "Allow", Action: ["sqs:SendMessage", "sqs:GetQueueUrl"], Resource: [queueArn] }]);
    expect(isAllowed(p, "sqs:SendMessage", queueArn)).toBe(true);
    expect(isAllowed(p, "sqs:GetQueueAttributes", queueArn)).toBe(false);
    expect(isAllowed(p, "sqs:SendMessage", `${queueArn}-dlq`)).toBe(false);
  });

  it("compares actions case-insensitively and resources case-sensitively", () => {
    const p = principal([{ Effect: "Allow", Action: ["SQS:sendmessage"], Resource: [queueArn] }]);
    expect(isAllowed(p, "sqs:SendMessage", queueArn)).toBe(true);
    expect(isAllowed(p, "sqs:SendMessage", queueArn.toUpperCase())).toBe(false);
  });

  it("expands * and ? in actions and resources, and nothing else", () => {
    const p = principal([
      { Effect: "Allow", Action: ["s3:Get*"], Resource: ["arn:aws:s3:::bluemoxon-local-images/*"] },
      {
        Effect: "Allow",
        Action: ["secretsmanager:GetSecretValue"],
        Resource: ["arn:aws:secretsmanager:us-east-1:000000000000:secret:bluemoxon-local/api-key-??????"],
      },
    ]);
    expect(isAllowed(p, "s3:GetObject", "arn:aws:s3:::bluemoxon-local-images/originals/1/a.jpg")).toBe(true);
    expect(isAllowed(p, "s3:GetObject", "arn:aws:s3:::bluemoxon-local-images")).toBe(false);
    expect(isAllowed(p, "s3:PutObject", "arn:aws:s3:::bluemoxon-local-images/x")).toBe(false);
    expect(isAllowed(p, "s3:GetObject", "arn:aws:s3:::bluemoxon-local-imagesX/x")).toBe(false);
    const secret = "arn:aws:secretsmanager:us-east-1:000000000000:secret:bluemoxon-local/api-key";
    expect(isAllowed(p, "secretsmanager:GetSecretValue", `${secret}-AbC123`)).toBe(true);
    expect(isAllowed(p, "secretsmanager:GetSecretValue", `${secret}-AbC12`)).toBe(false);
    expect(isAllowed(p, "secretsmanager:GetSecretValue", `${secret}-extra-AbC123`)).toBe(false);
  });

  it("treats regex characters in patterns literally", () => {
    expect(matchesWildcard("a.b", "a.b")).toBe(true);
    expect(matchesWildcard("a.b", "axb")).toBe(false);
    expect(matchesWildcard("arn:(x)+", "arn:(x)+")).toBe(true);
    expect(matchesWildcard("*", "anything\nat all")).toBe(true);
  });

  it("allows everything for an admin and nothing without statements", () => {
    expect(isAllowed(principal([], true), "sqs:DeleteQueue", queueArn)).toBe(true);
    expect(isAllowed(principal([]), "sqs:SendMessage", queueArn)).toBe(false);
  });
});
