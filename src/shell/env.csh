# caro's PATH setup, written by caro-install and sourced from ~/.tcshrc or ~/.cshrc.
# It adds caro's directory to PATH once: nested shells see it there and leave PATH alone.
# `caro-install uninstall` removes this file and the line that sources it.
set _caro_dir = {dir}
set _caro_found = 0
if ( $?PATH ) then
    foreach _caro_entry ( $path:q )
        if ( "$_caro_entry" == "$_caro_dir" ) set _caro_found = 1
    end
    if ( $_caro_found == 0 ) setenv PATH "${_caro_dir}:${PATH}"
else
    setenv PATH "$_caro_dir"
endif
unset _caro_dir _caro_found _caro_entry
