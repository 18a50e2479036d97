import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { type Claims, evaluateRulesets, matchPattern, type RulesetRule } from "../src/index";

// The contract's vectors, vendored into the repository (a plain clone tests itself), and the shared
// contract folder beside the repository (…/main and …/shared), which is there in our CI only.
const VECTORS_URL = new URL("./vectors/matcher.json", import.meta.url);
const CONTRACT_URL = new URL("../../../../shared/vectors/matcher.json", import.meta.url);

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
      `Test vectors missing at ${fileURLToPath(VECTORS_URL)}: copy them from the shared contract (shared/vectors/matcher.json)`,
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

describe("the vendored vectors", () => {
  test.skipIf(!existsSync(CONTRACT_URL))("are the shared contract's, byte for byte (checked where ../shared exists)", () => {
    expect(readFileSync(VECTORS_URL, "utf8"), `update ${fileURLToPath(VECTORS_URL)} from ${fileURLToPath(CONTRACT_URL)}`).toBe(
      readFileSync(CONTRACT_URL, "utf8"),
    );
  });
});
