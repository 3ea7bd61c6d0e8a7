// Chart.js with only the parts the UI uses (tree-shaken), and a helper that ties a chart's
// lifetime to its canvas.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  DoughnutController,
  ArcElement,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  ScatterController,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';
import { numLocale } from './format';

Chart.register(BarController, BarElement, CategoryScale, DoughnutController, ArcElement, Filler, Legend, LinearScale, LineController, LineElement, LogarithmicScale, PointElement, ScatterController, Tooltip);
Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif';
Chart.defaults.color = '#333';
Chart.defaults.animation = false;

const charts = new WeakMap<HTMLCanvasElement, Chart>();

export function chart(canvas: HTMLCanvasElement, config: ChartConfiguration): Chart {
  charts.get(canvas)?.destroy();
  const c = new Chart(canvas, { ...config, options: { responsive: true, maintainAspectRatio: false, locale: numLocale(), ...config.options } } as ChartConfiguration);
  charts.set(canvas, c);
  return c;
}

/** Destroys the charts inside an element that is about to be replaced. */
export function destroyCharts(root: Element): void {
  for (const canvas of root.querySelectorAll('canvas')) {
    charts.get(canvas)?.destroy();
    charts.delete(canvas);
  }
}

export const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
