/// <reference lib="dom" />
/**
 * The loss chart: training and validation loss per epoch, with labelled axes.
 *
 * @module
 */

/** One curve: a value per epoch (`NaN` where there is none) and its colour. */
export interface Series {
  values: number[];
  color: string;
}

const PAD = { left: 64, right: 16, top: 14, bottom: 44 };

/**
 * Draws the curves on a canvas, sized to its CSS box at the device's pixel ratio.
 *
 * @param canvas The chart's canvas.
 * @param series The curves; x is the epoch (0: before training).
 */
export function drawChart(canvas: HTMLCanvasElement, series: Series[]): void {
  const ratio = globalThis.devicePixelRatio || 1;
  const box = canvas.getBoundingClientRect();
  const width = Math.max(240, Math.round(box.width)),
    height = Math.max(160, Math.round(box.height));
  canvas.width = width * ratio;
  canvas.height = height * ratio;
  const ctx = canvas.getContext("2d")!;
  ctx.scale(ratio, ratio);
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, width, height);
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  const epochs = Math.max(1, ...series.map((s) => s.values.length - 1));
  let [low, high] = all.length ? [Math.min(...all), Math.max(...all)] : [0, 1];
  if (high - low < 1e-6) [low, high] = [low - 0.01, high + 0.01];
  const x = (i: number) => PAD.left + (width - PAD.left - PAD.right) * i / epochs;
  const y = (v: number) => PAD.top + (height - PAD.top - PAD.bottom) * (high - v) / (high - low);
  ctx.strokeStyle = "#bbb";
  ctx.fillStyle = "#333";
  ctx.font = "12px system-ui, sans-serif";
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(PAD.left, PAD.top);
  ctx.lineTo(PAD.left, height - PAD.bottom);
  ctx.lineTo(width - PAD.right, height - PAD.bottom);
  ctx.stroke();
  ctx.textAlign = "right";
  for (let k = 0; k <= 4; k++) {
    const v = low + (high - low) * k / 4;
    ctx.fillText(v.toFixed(3), PAD.left - 6, y(v) + 4);
  }
  ctx.textAlign = "center";
  const step = Math.ceil(epochs / 10);
  for (let i = 0; i <= epochs; i += step) ctx.fillText(String(i), x(i), height - PAD.bottom + 16);
  ctx.fillText("epoch", PAD.left + (width - PAD.left - PAD.right) / 2, height - 6);
  ctx.save();
  ctx.translate(14, PAD.top + (height - PAD.top - PAD.bottom) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText("loss (BCE per pixel)", 0, 0);
  ctx.restore();
  for (const { values, color } of series) {
    ctx.strokeStyle = ctx.fillStyle = color;
    ctx.lineWidth = 2;
    const points = values.flatMap((v, i) => (Number.isFinite(v) ? [[x(i), y(v)]] : []));
    ctx.beginPath();
    points.forEach(([px, py], i) => (i ? ctx.lineTo(px, py) : ctx.moveTo(px, py)));
    ctx.stroke();
    for (const [px, py] of points) ctx.fillRect(px - 3, py - 3, 6, 6);
  }
}
