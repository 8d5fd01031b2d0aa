/**
 * Procedural pictures of eight everyday ImageNet categories, for the bundled demo set: clearly
 * recognisable drawings (not photos), small variations drawn from a seed. Isomorphic.
 */
import type { Rng } from "../../common/random.ts";
import {
  Picture, box, capsule, circle, ellipse, intersect, mix, polygon, ring, scale, sphereLight, subtract, union,
  type Rgb,
} from "./raster.ts";

export interface DemoCategory {
  wnid: string;
  label: string;
  /** index among the 1000 ImageNet classes */
  index: number;
  draw(size: number, rng: Rng): Picture;
}

/** A soft vertical gradient with a little seeded grain, so backgrounds are not flat. */
function background(p: Picture, top: Rgb, bottom: Rgb, rng: Rng): void {
  const grain = Array.from({ length: 64 }, () => rng.next() - 0.5);
  p.shade((x, y) => {
    const g = 6 * grain[(Math.floor(x / 7) * 7 + Math.floor(y / 5)) % 64]!;
    const c = mix(top, bottom, y / p.size);
    return [c[0] + g, c[1] + g, c[2] + g];
  });
}

const jitter = (rng: Rng, amount: number) => (rng.next() - 0.5) * 2 * amount;

function analogClock(size: number, rng: Rng): Picture {
  const p = new Picture(size);
  const s = size / 224;
  background(p, [222, 210, 188], [190, 172, 150], rng);
  const cx = size / 2 + jitter(rng, 6 * s);
  const cy = size / 2 + jitter(rng, 6 * s);
  const r = 86 * s;
  p.fill(circle(cx + 5 * s, cy + 6 * s, r + 4 * s), [120, 105, 90], 0.5);
  p.fill(circle(cx, cy, r), (x, y) => scale([250, 250, 246], 0.92 + 0.08 * sphereLight(cx, cy, r, x, y)));
  p.fill(ring(cx, cy, r - 3 * s, 8 * s), [40, 40, 48]);
  for (let h = 0; h < 12; h++) {
    const a = (h / 12) * 2 * Math.PI;
    const inner = h % 3 === 0 ? 62 * s : 68 * s;
    p.fill(capsule(cx + Math.sin(a) * inner, cy - Math.cos(a) * inner, cx + Math.sin(a) * 76 * s, cy - Math.cos(a) * 76 * s, (h % 3 === 0 ? 6 : 3) * s), [30, 30, 35]);
  }
  const hour = rng.next() * 2 * Math.PI;
  const minute = rng.next() * 2 * Math.PI;
  p.fill(capsule(cx, cy, cx + Math.sin(hour) * 42 * s, cy - Math.cos(hour) * 42 * s, 8 * s), [25, 25, 30]);
  p.fill(capsule(cx, cy, cx + Math.sin(minute) * 64 * s, cy - Math.cos(minute) * 64 * s, 5 * s), [25, 25, 30]);
  p.fill(circle(cx, cy, 6 * s), [180, 30, 30]);
  return p;
}

function trafficLight(size: number, rng: Rng): Picture {
  const p = new Picture(size);
  const s = size / 224;
  background(p, [120, 170, 225], [190, 215, 240], rng);
  const cx = size / 2 + jitter(rng, 10 * s);
  p.fill(box(cx, 200 * s, 7 * s, 40 * s), [70, 72, 75]);
  p.fill(box(cx, 100 * s, 38 * s, 88 * s, 12 * s), (x) => scale([45, 48, 50], 0.8 + 0.4 * (1 - Math.abs(x - cx) / (38 * s))));
  const lit = rng.int(3);
  const colours: Rgb[] = [[235, 40, 30], [245, 180, 30], [40, 210, 90]];
  colours.forEach((c, k) => {
    const y = (42 + 58 * k) * s;
    p.fill(box(cx, y - 22 * s, 32 * s, 6 * s, 3 * s), [30, 30, 32]);
    p.fill(circle(cx, y, 22 * s), k === lit ? (x, yy) => scale(c, 0.7 + 0.5 * sphereLight(cx, y, 22 * s, x, yy)) : scale(c, 0.3));
    if (k === lit) p.fill(circle(cx, y, 30 * s), c, 0.18);
  });
  return p;
}

function umbrella(size: number, rng: Rng): Picture {
  const p = new Picture(size);
  const s = size / 224;
  background(p, [200, 200, 205], [150, 150, 160], rng);
  const cx = size / 2 + jitter(rng, 8 * s);
  const cy = 112 * s + jitter(rng, 6 * s);
  const r = 92 * s;
  const colours: Rgb[] = [[200, 30, 40], [30, 80, 190], [30, 140, 70]];
  const colour = colours[rng.int(colours.length)]!;
  p.fill(capsule(cx, cy - r - 12 * s, cx, cy + 78 * s, 6 * s), [60, 50, 45]);
  p.fill(intersect(ring(cx - 14 * s, cy + 78 * s, 14 * s, 6 * s), box(cx - 14 * s, cy + 92 * s, 20 * s, 14 * s)), [60, 50, 45]);
  let canopy = intersect(circle(cx, cy, r), box(cx, cy - r / 2, r, r / 2));
  for (let k = 0; k < 4; k++) canopy = subtract(canopy, circle(cx - r + (k + 0.5) * (r / 2), cy, r / 4));
  p.fill(canopy, (x, y) => scale(colour, 0.7 + 0.35 * sphereLight(cx, cy, r, x, y)));
  for (let k = 1; k < 4; k++) {
    const x = cx - r + k * (r / 2);
    p.fill(intersect(capsule(cx, cy - r, x, cy - r / 4, 2 * s), canopy), scale(colour, 0.55));
  }
  return p;
}

function citrusOrange(size: number, rng: Rng): Picture {
  const p = new Picture(size);
  const s = size / 224;
  background(p, [240, 236, 225], [205, 195, 180], rng);
  const cx = size / 2 + jitter(rng, 8 * s);
  const cy = 120 * s + jitter(rng, 6 * s);
  const r = 78 * s;
  p.fill(ellipse(cx + 8 * s, cy + r - 4 * s, r * 0.9, 12 * s), [120, 110, 95], 0.45);
  const dimples = Array.from({ length: 97 }, () => rng.next());
  p.fill(circle(cx, cy, r), (x, y) => {
    const d = dimples[(Math.floor(x / 3) * 31 + Math.floor(y / 3) * 17) % 97]!;
    return scale([245, 140, 20], (0.72 + 0.45 * sphereLight(cx, cy, r, x, y)) * (0.96 + 0.06 * d));
  });
  p.fill(capsule(cx, cy - r + 4 * s, cx + 3 * s, cy - r - 8 * s, 5 * s), [90, 70, 30]);
  p.fill(ellipse(cx + 24 * s, cy - r - 6 * s, 26 * s, 10 * s, -0.4), [50, 140, 50]);
  return p;
}

function soccerBall(size: number, rng: Rng): Picture {
  const p = new Picture(size);
  const s = size / 224;
  background(p, [70, 150, 60], [40, 110, 40], rng);
  const cx = size / 2 + jitter(rng, 8 * s);
  const cy = size / 2 + jitter(rng, 8 * s);
  const r = 84 * s;
  const spin = rng.next() * Math.PI;
  const ball = circle(cx, cy, r);
  p.fill(ellipse(cx + 10 * s, cy + r, r * 0.8, 10 * s), [20, 60, 20], 0.5);
  p.fill(ball, (x, y) => scale([248, 248, 248], 0.55 + 0.45 * sphereLight(cx, cy, r, x, y)));
  const pentagon = (px: number, py: number, pr: number, rot: number) =>
    polygon(Array.from({ length: 5 }, (_, k) => [px + pr * Math.sin(rot + (k * 2 * Math.PI) / 5), py - pr * Math.cos(rot + (k * 2 * Math.PI) / 5)] as const));
  const patches = [pentagon(cx, cy, 26 * s, spin)];
  for (let k = 0; k < 5; k++) {
    const a = spin + Math.PI / 5 + (k * 2 * Math.PI) / 5;
    patches.push(pentagon(cx + Math.sin(a) * 74 * s, cy - Math.cos(a) * 74 * s, 22 * s, a + Math.PI));
  }
  p.fill(intersect(union(...patches), ball), (x, y) => scale([25, 25, 30], 0.7 + 0.4 * sphereLight(cx, cy, r, x, y)));
  return p;
}

function banana(size: number, rng: Rng): Picture {
  const p = new Picture(size);
  const s = size / 224;
  background(p, [90, 60, 45], [60, 40, 30], rng);
  const cx = size / 2 + jitter(rng, 8 * s);
  const cy = 90 * s + jitter(rng, 8 * s);
  const crescent = subtract(circle(cx, cy, 88 * s), circle(cx, cy - 30 * s, 86 * s));
  const body = intersect(crescent, box(cx, cy + 50 * s, 78 * s, 60 * s));
  p.fill(body, (x, y) => scale([245, 215, 60], 0.75 + 0.35 * sphereLight(cx, cy + 70 * s, 40 * s, x, y)));
  p.fill(intersect(body, union(circle(cx - 76 * s, cy + 30 * s, 10 * s), circle(cx + 76 * s, cy + 30 * s, 10 * s))), [80, 60, 25]);
  p.fill(capsule(cx + 74 * s, cy + 24 * s, cx + 88 * s, cy + 4 * s, 8 * s), [110, 120, 50]);
  return p;
}

function mushroom(size: number, rng: Rng): Picture {
  const p = new Picture(size);
  const s = size / 224;
  background(p, [150, 180, 120], [80, 110, 60], rng);
  const cx = size / 2 + jitter(rng, 8 * s);
  const capY = 100 * s + jitter(rng, 6 * s);
  p.fill(box(cx, capY + 55 * s, 22 * s, 52 * s, 14 * s), (x) => scale([238, 228, 205], 0.8 + 0.25 * (1 - Math.abs(x - cx) / (22 * s))));
  const cap = intersect(ellipse(cx, capY, 84 * s, 62 * s), box(cx, capY - 31 * s, 84 * s, 31 * s + 2 * s));
  p.fill(cap, (x, y) => scale([210, 35, 30], 0.7 + 0.4 * sphereLight(cx, capY, 84 * s, x, y)));
  const spots: [number, number, number][] = [[-40, -22, 10], [0, -44, 12], [38, -20, 9], [-12, -14, 7], [58, -6, 6], [-62, -4, 6]];
  for (const [dx, dy, rr] of spots) p.fill(intersect(circle(cx + dx * s, capY + dy * s, rr * s), cap), [250, 248, 240]);
  return p;
}

function strawberry(size: number, rng: Rng): Picture {
  const p = new Picture(size);
  const s = size / 224;
  background(p, [245, 240, 235], [215, 205, 200], rng);
  const cx = size / 2 + jitter(rng, 8 * s);
  const cy = 118 * s + jitter(rng, 6 * s);
  const berry = union(ellipse(cx, cy - 14 * s, 70 * s, 56 * s), polygon([[cx - 66 * s, cy - 10 * s], [cx + 66 * s, cy - 10 * s], [cx, cy + 82 * s]]));
  p.fill(berry, (x, y) => scale([215, 25, 40], 0.7 + 0.4 * sphereLight(cx, cy - 10 * s, 75 * s, x, y)));
  for (let row = 0; row < 6; row++) {
    for (let col = -4; col <= 4; col++) {
      const x = cx + (col + (row % 2) * 0.5) * 16 * s;
      const y = cy - 40 * s + row * 20 * s;
      if (berry(x, y) < -6 * s) p.fill(ellipse(x, y, 2.2 * s, 3.4 * s), [250, 220, 90]);
    }
  }
  for (let k = 0; k < 5; k++) {
    const a = -Math.PI / 2 + ((k - 2) * Math.PI) / 5;
    p.fill(ellipse(cx + Math.cos(a) * 22 * s, cy - 66 * s + Math.sin(a) * 8 * s + 4 * s, 24 * s, 8 * s, a), [40, 130, 50]);
  }
  p.fill(capsule(cx, cy - 70 * s, cx + 4 * s, cy - 92 * s, 5 * s), [60, 110, 40]);
  return p;
}

export const DEMO_CATEGORIES: DemoCategory[] = [
  { wnid: "n02708093", label: "analog clock", index: 409, draw: analogClock },
  { wnid: "n06874185", label: "traffic light", index: 920, draw: trafficLight },
  { wnid: "n04507155", label: "umbrella", index: 879, draw: umbrella },
  { wnid: "n07747607", label: "orange", index: 950, draw: citrusOrange },
  { wnid: "n04254680", label: "soccer ball", index: 805, draw: soccerBall },
  { wnid: "n07753592", label: "banana", index: 954, draw: banana },
  { wnid: "n07734744", label: "mushroom", index: 947, draw: mushroom },
  { wnid: "n07745940", label: "strawberry", index: 949, draw: strawberry },
];
