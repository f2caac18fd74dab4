/** A query parameter sent once, even empty; `undefined` when absent or repeated (refuse repeated ones first where that matters). */
export function present(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A query parameter sent once and not empty; repeated parameters are read as absent. */
export function single(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
