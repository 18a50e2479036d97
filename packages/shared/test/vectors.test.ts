import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { type Claims, evaluateRulesets, matchPattern, type RulesetRule } from "../src/index";

// The repository sits at …/main and the shared contract at …/shared beside it (also in CI).
const VECTORS_URL = new URL("../../../../shared/vectors/matcher.json", import.meta.url);

interface Vectors {
  matchPattern: { pattern: string; value: string; match: boolean }[];
  evaluateRulesets: { name: string; rulesets: RulesetRule[]; claims: Claims; expected: unknown }[];
}

function loadVectors(): Vectors {
  let text: string;
  try {
    text = readFileSync(VECTORS_URL, "utf8");
  } catch (cause) {
    throw new Error(
      `Test vectors missing at ${fileURLToPath(VECTORS_URL)}: the shared contract folder must sit beside the repository (../shared)`,
      { cause },
    );
  }
  const vectors = JSON.parse(text) as Vectors;
  if (!Array.isArray(vectors.matchPattern) || !Array.isArray(vectors.evaluateRulesets)) {
    throw new Error(`Test vectors at ${fileURLToPath(VECTORS_URL)} lack matchPattern or evaluateRulesets lists`);
  }
  return vectors;
}

const vectors = loadVectors();

describe("shared test vectors", () => {
  test("are present", () => {
    expect(vectors.matchPattern.length).toBeGreaterThan(0);
    expect(vectors.evaluateRulesets.length).toBeGreaterThan(0);
  });

  test.each(vectors.matchPattern)("matchPattern($pattern, $value) is $match", ({ pattern, value, match }) => {
    expect(matchPattern(pattern, value)).toBe(match);
  });

  test.each(vectors.evaluateRulesets)("evaluateRulesets: $name", ({ rulesets, claims, expected }) => {
    expect(evaluateRulesets(rulesets, claims)).toEqual(expected);
  });
});
