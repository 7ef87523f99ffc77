# caro's PATH setup, written by caro-install and sourced from your shell's startup files.
# It adds caro's directory to PATH once: nested shells see it there and leave PATH alone.
# `caro-install uninstall` removes this file and the lines that source it.
case ":${PATH}:" in
    *:{dir}:*) ;;
    *) export PATH={dir}"${PATH:+:$PATH}" ;;
esac
