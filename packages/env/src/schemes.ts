import type { SchemeWiring } from '@authbench/core';
import { jwtWiring } from '@authbench/scheme-jwt';
import { knoxWiring } from '@authbench/scheme-knox';
import { sessionWiring } from '@authbench/scheme-session';
import { tokenWiring } from '@authbench/scheme-token';

/**
 * Every scheme `AUTH_SCHEME` can name, in the order DRF teaches them. The one
 * list of scheme names: a new scheme is its own package exporting a
 * `SchemeWiring`, plus one entry here.
 */
export const SCHEME_WIRINGS: readonly SchemeWiring[] = [tokenWiring, knoxWiring, jwtWiring, sessionWiring];
