// format.js - numbers, sizes and durations as people read them.

const grouping = new Intl.NumberFormat('en-US');

// 1234567 -> "1,234,567".
export function count(value) {
  return value === null || value === undefined ? '?' : grouping.format(value);
}

// 1536 -> "1.5 KiB"; exact below 1 KiB.
export function bytes(value) {
  if (value === null || value === undefined) return '?';
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let scaled = value;
  let unit = 0;
  while (Math.abs(scaled) >= 1024 && unit < units.length - 1) {
    scaled /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} bytes` : `${scaled.toFixed(scaled < 10 ? 2 : 1)} ${units[unit]}`;
}

// 1536 -> "1,536 bytes": the exact figure, for tooltips.
export function exactBytes(value) {
  return `${count(value)} ${value === 1 ? 'byte' : 'bytes'}`;
}

// Nanoseconds -> "1.25 s", "3 min 2 s", "12.0 ms".
export function duration(ns) {
  if (ns === null || ns === undefined) return '?';
  const seconds = ns / 1e9;
  if (seconds < 1e-3) return `${(ns / 1e3).toFixed(1)} µs`;
  if (seconds < 1) return `${(ns / 1e6).toFixed(1)} ms`;
  if (seconds < 60) return `${seconds.toFixed(2)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

// 0.1234 -> "12.3%".
export function percent(part, whole) {
  return whole ? `${((100 * part) / whole).toFixed(part === whole ? 0 : 1)}%` : '-';
}
