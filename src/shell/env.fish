# caro's PATH setup, written by caro-install; fish reads every file in conf.d at startup.
# It adds caro's directory to PATH once: nested shells see it there and leave PATH alone.
# `caro-install uninstall` removes this file.
if not contains -- {dir} $PATH
    set -gx PATH {dir} $PATH
end
