/**
 * A tiny anti-aliased rasteriser for the procedural demo pictures: shapes are signed distance functions
 * (negative inside, in pixels) and are painted with coverage clamp(0.5 - d, 0, 1). Isomorphic.
 */

export type Rgb = readonly [number, number, number];
/** Signed distance, in pixels, from (x, y) to the shape's edge: negative inside. */
export type Sdf = (x: number, y: number) => number;

export class Picture {
  readonly rgb: Float32Array;
  constructor(readonly size: number) {
    this.rgb = new Float32Array(size * size * 3);
  }

  /** Paint every pixel with colour(x, y) (values 0-255). */
  shade(colour: (x: number, y: number) => Rgb): void {
    for (let y = 0; y < this.size; y++) {
      for (let x = 0; x < this.size; x++) this.put(x, y, colour(x + 0.5, y + 0.5), 1);
    }
  }

  /** Blend `colour` (constant or per pixel) over the area of `shape`, anti-aliased at its edge. */
  fill(shape: Sdf, colour: Rgb | ((x: number, y: number) => Rgb), opacity = 1): void {
    for (let y = 0; y < this.size; y++) {
      for (let x = 0; x < this.size; x++) {
        const cx = x + 0.5;
        const cy = y + 0.5;
        const coverage = Math.min(1, Math.max(0, 0.5 - shape(cx, cy))) * opacity;
        if (coverage > 0) this.put(x, y, typeof colour === "function" ? colour(cx, cy) : colour, coverage);
      }
    }
  }

  private put(x: number, y: number, c: Rgb, alpha: number): void {
    const i = (y * this.size + x) * 3;
    for (let k = 0; k < 3; k++) this.rgb[i + k] = this.rgb[i + k]! * (1 - alpha) + c[k]! * alpha;
  }

  /** 8-bit RGBA, as PNG encoders and canvases want it. */
  toRgba(): Uint8Array {
    const out = new Uint8Array(this.size * this.size * 4);
    for (let p = 0; p < this.size * this.size; p++) {
      for (let k = 0; k < 3; k++) out[p * 4 + k] = Math.round(Math.min(255, Math.max(0, this.rgb[p * 3 + k]!)));
      out[p * 4 + 3] = 255;
    }
    return out;
  }
}

export const circle = (cx: number, cy: number, r: number): Sdf => (x, y) => Math.hypot(x - cx, y - cy) - r;

/** Approximate distance to an axis-aligned ellipse rotated by `angle` (exact enough for anti-aliasing). */
export const ellipse = (cx: number, cy: number, rx: number, ry: number, angle = 0): Sdf => {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  return (x, y) => {
    const dx = (x - cx) * c + (y - cy) * s;
    const dy = -(x - cx) * s + (y - cy) * c;
    const k = Math.hypot(dx / rx, dy / ry);
    return (k - 1) * Math.min(rx, ry);
  };
};

export const box = (cx: number, cy: number, halfW: number, halfH: number, radius = 0): Sdf => (x, y) => {
  const qx = Math.abs(x - cx) - halfW + radius;
  const qy = Math.abs(y - cy) - halfH + radius;
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - radius;
};

/** A line segment with round caps, `width` pixels thick. */
export const capsule = (x1: number, y1: number, x2: number, y2: number, width: number): Sdf => (x, y) => {
  const dx = x2 - x1;
  const dy = y2 - y1;
  const t = Math.max(0, Math.min(1, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(x - (x1 + t * dx), y - (y1 + t * dy)) - width / 2;
};

/** Convex polygon from its vertices in order (clockwise or counter-clockwise). */
export const polygon = (points: readonly (readonly [number, number])[]): Sdf => {
  const n = points.length;
  let area = 0;
  for (let i = 0; i < n; i++) {
    const [ax, ay] = points[i]!;
    const [bx, by] = points[(i + 1) % n]!;
    area += ax * by - bx * ay;
  }
  const sign = area > 0 ? 1 : -1;
  return (x, y) => {
    let d = -Infinity;
    for (let i = 0; i < n; i++) {
      const [ax, ay] = points[i]!;
      const [bx, by] = points[(i + 1) % n]!;
      const len = Math.hypot(bx - ax, by - ay);
      d = Math.max(d, (sign * ((bx - ax) * (y - ay) - (by - ay) * (x - ax))) / -len);
    }
    return d;
  };
};

export const union = (...shapes: Sdf[]): Sdf => (x, y) => Math.min(...shapes.map((s) => s(x, y)));
export const intersect = (...shapes: Sdf[]): Sdf => (x, y) => Math.max(...shapes.map((s) => s(x, y)));
export const subtract = (a: Sdf, b: Sdf): Sdf => (x, y) => Math.max(a(x, y), -b(x, y));
export const ring = (cx: number, cy: number, r: number, width: number): Sdf => (x, y) => Math.abs(Math.hypot(x - cx, y - cy) - r) - width / 2;

export function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

/** Diffuse shading of a sphere-like blob lit from the upper left: 0.55 at the dark rim to 1.15 at the highlight. */
export function sphereLight(cx: number, cy: number, r: number, x: number, y: number): number {
  const dx = (x - cx) / r;
  const dy = (y - cy) / r;
  const dz = Math.sqrt(Math.max(0, 1 - dx * dx - dy * dy));
  const lambert = Math.max(0, -0.45 * dx - 0.55 * dy + 0.7 * dz);
  return 0.55 + 0.6 * lambert;
}

export function scale(c: Rgb, k: number): Rgb {
  return [c[0] * k, c[1] * k, c[2] * k];
}
