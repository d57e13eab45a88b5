/*
 * html.c - writing the page: the viewer's head, the data, the viewer's tail.
 * The data sits inside <script type="application/json">, where the HTML parser
 * looks for "</script" and "<!--" in it; writing every '<' as the JSON escape
 * \u003c means no name from a trace can end that element or start markup,
 * whatever it holds ("</script>", "<!--", C++ templates...).
 */
#include "output/html.h"

#include <errno.h>
#include <string.h>

/* fopencookie write function: copies BYTES to the page, '<' escaped. */
static ssize_t write_escaped(void *cookie, const char *bytes, size_t size)
{
    FILE *page = cookie;
    for (size_t done = 0; done < size;) {
        const char *angle = memchr(bytes + done, '<', size - done);
        size_t plain = (angle != NULL ? (size_t)(angle - bytes) : size) - done;
        if (fwrite(bytes + done, 1, plain, page) != plain)
            return -1;
        done += plain;
        if (angle != NULL) {
            if (fputs("\\u003c", page) == EOF)
                return -1;
            done++;
        }
    }
    return (ssize_t)size;
}

/* Writes the data JSON into the page through the escaping stream. */
static int write_escaped_data(FILE *page, const struct view *view)
{
    FILE *data = fopencookie(page, "w", (cookie_io_functions_t){.write = write_escaped});
    if (data == NULL)
        return -1;
    int result = write_view_data(data, view);
    int saved_errno = result != 0 ? ENOMEM : 0;
    if (fclose(data) != 0 && result == 0) {
        saved_errno = errno;
        result = -1;
    }
    errno = saved_errno;
    return result;
}

/* Writes the whole page to OUT.  Returns 0, or -1 with errno set. */
int render_html(FILE *out, const struct view *view)
{
    fputs(MT_VIEWER_PAGE_HEAD, out);
    if (write_escaped_data(out, view) != 0)
        return -1;
    fputs(MT_VIEWER_PAGE_TAIL, out);
    return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}
