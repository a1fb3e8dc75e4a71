// cpu_usage's meter: percent of one core over the last 10 s, from background samples.
import { describe, expect, it } from "vitest";
import { CpuMeter } from "../../src/api/cpu-meter.ts";

describe("CpuMeter", () => {
  it("measures over the last 10 s whoever asks and however rarely", () => {
    let now = 0;
    let cpu = 0;
    const meter = new CpuMeter(() => cpu, () => now);
    try {
      // 20 s at half a core, sampled each second; then 5 s at two cores (two busy workers).
      for (let t = 1; t <= 20; t++) {
        now = t * 1000;
        cpu += 500;
        meter.sample();
      }
      expect(meter.percent()).toBeCloseTo(50);
      for (let t = 21; t <= 25; t++) {
        now = t * 1000;
        cpu += 2000;
        meter.sample();
      }
      // The last 10 s: 5 s at 50 % and 5 s at 200 %.
      expect(meter.percent()).toBeCloseTo(125);
      expect(meter.percent()).toBeCloseTo(125); // asking again changes nothing
      // Half a second later, nothing used meanwhile: the window still starts ~10 s back.
      now += 500;
      expect(meter.percent()).toBeCloseTo((2500 + 10_000) / 10_500 * 100, 0);
    } finally {
      meter.stop();
    }
  });

  it("before 10 s have passed, measures since the first sample", () => {
    let now = 0;
    let cpu = 0;
    const meter = new CpuMeter(() => cpu, () => now);
    try {
      now = 2000;
      cpu = 1000;
      expect(meter.percent()).toBeCloseTo(50);
    } finally {
      meter.stop();
    }
  });
});
