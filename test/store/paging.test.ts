// pageWithin: a listing's page holds at most page_size items and MAX_PAGE_BYTES (at least one item).
import { describe, expect, it } from "vitest";
import { MAX_PAGE_BYTES, pageWithin } from "../../src/store/database.ts";

describe("pageWithin", () => {
  const items = (n: number) => Array.from({ length: n }, (_, i) => i);

  it("takes page_size items when they fit, and says whether more follow", () => {
    expect(pageWithin(items(5), 4, () => 10)).toEqual({ page: [0, 1, 2, 3], more: true });
    expect(pageWithin(items(3), 4, () => 10)).toEqual({ page: [0, 1, 2], more: false });
    expect(pageWithin(items(1), 0, () => 10)).toEqual({ page: [], more: true });
  });

  it("stops where the bytes would pass MAX_PAGE_BYTES, exactly at the edge", () => {
    const quarter = MAX_PAGE_BYTES / 4;
    expect(pageWithin(items(10), 1000, () => quarter)).toEqual({ page: [0, 1, 2, 3], more: true });
    expect(pageWithin(items(10), 1000, () => quarter + 1)).toEqual({ page: [0, 1, 2], more: true });
  });

  it("always takes one item, however big", () => {
    expect(pageWithin(items(3), 10, () => MAX_PAGE_BYTES * 3)).toEqual({ page: [0], more: true });
  });
});
