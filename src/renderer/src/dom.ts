/** The element with this id; the page's HTML defines every one the code uses. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from index.html`);
  return element as T;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const element = Object.assign(document.createElement(tag), props);
  element.append(...children);
  return element;
}

/** Newest first, and only the last `max`: logs run for hours. */
export function prependCapped(list: HTMLElement, item: HTMLElement, max: number): void {
  list.prepend(item);
  while (list.children.length > max) list.lastElementChild?.remove();
}

export function clock(): string {
  return new Date().toLocaleTimeString([], { hour12: false });
}
