"""A focused Tk text window that mirrors its content into a file: the 'other app' dictate types into.

Usage: python tk_target.py OUTPUT_FILE   (window title: dictate-typing-target)
"""

from __future__ import annotations

import os
import sys
import tkinter

TITLE = "dictate-typing-target"


def main() -> None:
    output = sys.argv[1]
    root = tkinter.Tk()
    root.title(TITLE)
    root.geometry("600x200+10+10")
    text = tkinter.Text(root)
    text.pack(fill="both", expand=True)
    text.focus_set()

    def mirror() -> None:
        content = text.get("1.0", "end-1c")
        temporary = output + ".tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(content)
        os.replace(temporary, output)
        root.after(100, mirror)

    mirror()
    root.mainloop()


if __name__ == "__main__":
    main()
