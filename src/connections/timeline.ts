import type { Timeline } from "./summary.js";

/** Points kept per series at most; past that, each run of four becomes its minimum and maximum. */
const CAPACITY = 2048;

/**
 * One bounded time series. Only changes are stored (windows change rarely), and when full, every
 * four consecutive points collapse into their minimum and maximum (in time order), so memory
 * stays bounded whatever the connection's length and spikes and dips survive the thinning.
 */
export class Series {
  private t = new Float64Array(8); // grows on demand: most connections are short
  private v = new Float64Array(8);
  private f = new Uint32Array(8);
  private n = 0;

  push(time: number, value: number, frame: number): void {
    const n = this.n;
    if (n > 0 && this.v[n - 1] === value) return;
    if (n === this.t.length) {
      if (n < CAPACITY) this.grow();
      else this.thin();
    }
    const i = this.n++;
    this.t[i] = time;
    this.v[i] = value;
    this.f[i] = frame;
  }

  points(origin: number): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < this.n; i++) out.push([round(this.t[i]! - origin), this.v[i]!]);
    return out;
  }

  /** Time of the first point at or after `frame` (frames grow with time within one input). */
  timeOfFrame(frame: number): number {
    for (let i = 0; i < this.n; i++) if (this.f[i]! >= frame) return this.t[i]!;
    return Number.NaN;
  }

  private grow(): void {
    const size = Math.min(CAPACITY, this.t.length * 2);
    const t = new Float64Array(size);
    const v = new Float64Array(size);
    const f = new Uint32Array(size);
    t.set(this.t);
    v.set(this.v);
    f.set(this.f);
    this.t = t;
    this.v = v;
    this.f = f;
  }

  private thin(): void {
    let out = 0;
    for (let i = 0; i < this.n; i += 4) {
      const end = Math.min(i + 4, this.n);
      let lo = i;
      let hi = i;
      for (let j = i + 1; j < end; j++) {
        if (this.v[j]! < this.v[lo]!) lo = j;
        if (this.v[j]! > this.v[hi]!) hi = j;
      }
      this.copy(Math.min(lo, hi), out++);
      if (hi !== lo) this.copy(Math.max(lo, hi), out++);
    }
    this.n = out;
  }

  private copy(from: number, to: number): void {
    this.t[to] = this.t[from]!;
    this.v[to] = this.v[from]!;
    this.f[to] = this.f[from]!;
  }
}

/** What the HTML report charts, recorded only when asked for (`--format html`). */
export class TimelineRecorder {
  readonly clientWindow = new Series();
  readonly serverWindow = new Series();
  readonly clientInFlight = new Series();
  readonly serverInFlight = new Series();
  readonly events: Timeline["events"] = [];

  toTimeline(origin: number): Timeline {
    return {
      clientWindow: this.clientWindow.points(origin),
      serverWindow: this.serverWindow.points(origin),
      clientInFlight: this.clientInFlight.points(origin),
      serverInFlight: this.serverInFlight.points(origin),
      events: this.events.map((e) => ({ ...e, t: round(e.t - origin) })),
    };
  }

  /** About when a frame was seen: the earliest point at or after it in any series. */
  timeOfFrame(frame: number): number {
    const times = [this.clientWindow, this.serverWindow, this.clientInFlight, this.serverInFlight]
      .map((s) => s.timeOfFrame(frame))
      .filter((t) => t >= 0);
    return times.length > 0 ? Math.min(...times) : Number.NaN;
  }
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
