// vitest runs only authbench's conformance suite; the service's own tests
// are node:test (test/*.test.js, run by `node --test`).
export default {
  test: {
    include: ['conformance/**/*.spec.js'],
  },
};
