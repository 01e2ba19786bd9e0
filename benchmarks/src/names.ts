/**
 * How the results name things, for the pages generated from them (docs/choosing.md,
 * the README's table, report.html): a configuration's storage variant, its name
 * without the storage, and stored sizes as powers of ten.
 */
export type StorageName = 'sqlite' | 'postgres' | 'redis';

/** A configuration's storage variant, as the README's columns name them. */
export type Variant = 'sqlite' | 'postgres' | 'redis' | 'cache';
export const VARIANTS: readonly Variant[] = ['sqlite', 'postgres', 'redis', 'cache'];
export const VARIANT_TITLE: Record<Variant, string> = {
  sqlite: 'SQLite file',
  postgres: 'PostgreSQL',
  redis: 'PostgreSQL + Redis',
  cache: 'PostgreSQL + Redis cache',
};

const STORAGE_SUFFIX = /, PostgreSQL(?: \+ Redis(?: cache)?)?(?=,|$)/;

export function variantOf(row: { readonly name: string; readonly storage: StorageName }): Variant {
  if (row.storage === 'redis') return /Redis cache/.test(row.name) ? 'cache' : 'redis';
  return row.storage;
}

/** The configuration's name without its storage: `token, PostgreSQL + Redis cache` → `token`. */
export const baseName = (name: string) => name.replace(STORAGE_SUFFIX, '');

/** 1000 → 10³; a size that is no power of ten in digits, with thousands separators (no locale). */
export function powerOfTen(n: number): string {
  const exponent = Math.log10(n);
  if (n > 0 && Number.isInteger(exponent)) {
    const superscript = String(exponent).replace(/\d/g, (d) => '⁰¹²³⁴⁵⁶⁷⁸⁹'[Number(d)]!);
    return `10${superscript}`;
  }
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
