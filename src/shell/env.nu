# caro's PATH setup, written by caro-install; nushell loads every file in autoload at startup.
# It adds caro's directory to PATH once: nested shells see it there and leave PATH alone.
# `caro-install uninstall` removes this file.
if ({dir} not-in ($env.PATH | split row (char esep))) {
    $env.PATH = ($env.PATH | split row (char esep) | prepend {dir})
}
