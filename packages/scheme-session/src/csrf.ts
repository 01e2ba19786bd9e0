/** Django's CSRF checks live in @authbench/core, shared with jwt's cookie transport; re-exported for this package's tests. */
export { csrfFailure, isSafeMethod, maskSecret, newSecret, originFailure, SECRET_LENGTH, tokenFailure } from '@authbench/core';
