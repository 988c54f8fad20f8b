"""A focused Tk text window that mirrors its content into a file: the 'other app' dictate types into.

Usage: python tk_target.py OUTPUT_FILE [CLIPBOARD_TEXT]   (window title: dictate-typing-target)
With CLIPBOARD_TEXT the window owns the clipboard, holding that text. The keys pressed in the text widget
are mirrored, one keysym a line, into OUTPUT_FILE.keys. With DICTATE_TARGET_CLASS set, the window's WM_CLASS
is made of it (as another application's would be) and the title is "dictate-typing-target CLASS".
"""

from __future__ import annotations

import os
import sys
import tkinter

TITLE = "dictate-typing-target"


def main() -> None:
    output = sys.argv[1]
    app_class = os.environ.get("DICTATE_TARGET_CLASS")
    root = tkinter.Tk(className=app_class) if app_class else tkinter.Tk()
    root.title(f"{TITLE} {app_class}" if app_class else TITLE)
    root.geometry("600x200+10+10")
    if len(sys.argv) > 2:
        root.clipboard_clear()
        root.clipboard_append(sys.argv[2])
    text = tkinter.Text(root)
    text.pack(fill="both", expand=True)
    text.focus_set()
    keys: list[str] = []
    text.bind("<KeyPress>", lambda event: keys.append(event.keysym), add="+")

    def write(path: str, content: str) -> None:
        temporary = path + ".tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(content)
        os.replace(temporary, path)

    def mirror() -> None:
        write(output, text.get("1.0", "end-1c"))
        write(output + ".keys", "".join(f"{key}\n" for key in keys))
        root.after(100, mirror)

    mirror()
    root.mainloop()


if __name__ == "__main__":
    main()
