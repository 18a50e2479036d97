import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { csvCell } from "../src/visibility/org-events";

/** RFC 4180 parse of one line of cells (quotes doubled inside quoted cells). */
function parseLine(line: string): string[] {
  const cells: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let cell = "";
      i++;
      for (;;) {
        if (line[i] === '"' && line[i + 1] === '"') {
          cell += '"';
          i += 2;
        } else if (line[i] === '"') {
          i++;
          break;
        } else cell += line[i++];
      }
      cells.push(cell);
      i++; // the comma
    } else {
      const end = line.indexOf(",", i);
      cells.push(line.slice(i, end === -1 ? line.length : end));
      i = end === -1 ? line.length + 1 : end + 1;
    }
  }
  return cells;
}

describe("CSV cells of the export (SPEC §12)", () => {
  it("a formula-looking cell gets a leading quote mark; others are unchanged", () => {
    expect(csvCell("=SUM(A1)")).toBe("'=SUM(A1)");
    expect(csvCell("+1")).toBe("'+1");
    expect(csvCell("-1")).toBe("'-1");
    expect(csvCell("@cmd")).toBe("'@cmd");
    expect(csvCell("\tx")).toBe("'\tx");
    expect(csvCell('=HYPERLINK("a","b")')).toBe(`"'=HYPERLINK(""a"",""b"")"`);
    expect(csvCell("octo-org/api")).toBe("octo-org/api");
    expect(csvCell(null)).toBe("");
  });

  it("any text round-trips through a CSV parser (apart from the guard), and never starts a formula", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "grapheme-composite" }), { minLength: 1, maxLength: 5 }), (texts) => {
        const parsed = parseLine(texts.map(csvCell).join(","));
        expect(parsed).toEqual(texts.map((t) => (/^[=+\-@\t\r]/.test(t) ? `'${t}` : t)));
        for (const cell of parsed) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
      }),
    );
  });
});
