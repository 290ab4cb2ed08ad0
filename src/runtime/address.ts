/** Channel addresses with `{param}` placeholders. */
import { ConfigurationError } from './errors.js';

const PLACEHOLDER = /\{([^}]+)\}/g;

export function addressParameters(address: string): string[] {
  return [...address.matchAll(PLACEHOLDER)].map((m) => m[1]!);
}

export function hasPlaceholders(address: string): boolean {
  return address.includes('{');
}

/** Fills every `{param}`; throws ConfigurationError naming the first missing parameter. */
export function resolveAddress(address: string, parameters: Record<string, string> | undefined): string {
  if (!address.includes('{')) return address;
  return address.replace(PLACEHOLDER, (_, name: string) => {
    const value = parameters?.[name];
    if (value === undefined || value === '') {
      throw new ConfigurationError(`missing channel parameter "${name}" for address "${address}"`);
    }
    return value;
  });
}
