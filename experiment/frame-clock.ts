/** The display's frame duration: the median interval between requestAnimationFrame callbacks. */
export function measureFrameMs(frames = 40): Promise<number> {
  return new Promise((resolve) => {
    const stamps: number[] = [];
    const tick = (t: number) => {
      stamps.push(t);
      if (stamps.length <= frames) {
        requestAnimationFrame(tick);
        return;
      }
      const intervals = stamps.slice(1).map((s, i) => s - stamps[i]!).sort((a, b) => a - b);
      resolve(intervals[Math.floor(intervals.length / 2)]!);
    };
    requestAnimationFrame(tick);
  });
}
