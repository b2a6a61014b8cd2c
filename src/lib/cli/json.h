/* JSON output of the tools (--json). */
#ifndef XP_CLI_JSON_H
#define XP_CLI_JSON_H

/* Prints s (NULL as "") to stdout as a JSON string; bytes >= 0x80 pass through (UTF-8 stays UTF-8).
 */
void xp_json_string(const char *s);

#endif
