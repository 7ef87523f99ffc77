# caro's PATH setup, written by caro-install; xonsh runs every file in rc.d at startup.
# It adds caro's directory to PATH once: nested shells see it there and leave PATH alone.
# `caro-install uninstall` removes this file.
if {dir} not in $PATH:
    $PATH.insert(0, {dir})
