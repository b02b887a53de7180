/** Exit codes (SPEC section 1), documented in the README and in --help. */
export const EXIT_OK = 0;
/** A finding at or above --fail-on. */
export const EXIT_FINDINGS = 1;
/** Usage error, or an input that cannot be read. */
export const EXIT_USAGE = 2;
