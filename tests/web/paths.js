// paths.js: where things are, for the web tests
//
// SPDX-License-Identifier: AGPL-3.0-or-later

import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** This folder (tests/web). */
export const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The source tree. */
export const SOURCE_ROOT = process.env.EVERATO_SOURCE_ROOT ?? path.resolve(HERE, '../..');
/** The site. */
export const WEB = path.join(SOURCE_ROOT, 'web');
