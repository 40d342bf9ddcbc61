// WCAG 2 contrast between an element's text colour and the background
// behind it (its own, or the first ancestor's that is not transparent).

/** `rgb(r, g, b)` / `rgba(r, g, b, a)` → [r, g, b, a]. */
export function parseColor(css) {
  const parts = /^rgba?\(([^)]+)\)$/.exec(css.trim());
  if (!parts) throw new Error(`not an rgb() colour: ${css}`);
  const [r, g, b, a = 1] = parts[1].split(/[\s,/]+/).filter(Boolean).map(Number);
  return [r, g, b, a];
}

function luminance([r, g, b]) {
  const channel = (c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
}

/** The contrast ratio of two opaque colours, from 1 to 21. */
export function contrastRatio(a, b) {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (light + 0.05) / (dark + 0.05);
}

/** The computed text colour and effective background of a locator's element. */
export async function colorsOf(locator) {
  return locator.evaluate((element) => {
    let background = 'rgb(255, 255, 255)';
    for (let node = element; node; node = node.parentElement) {
      const color = getComputedStyle(node).backgroundColor;
      const alpha = /rgba\([^)]*,\s*([\d.]+)\)/.exec(color);
      if (!alpha || Number(alpha[1]) > 0) {
        background = color;
        break;
      }
    }
    return { color: getComputedStyle(element).color, background };
  });
}
