# install.ps1: the bootstrap of caro-install, the installer of caro (https://github.com/wildcard/caro),
# on Windows, for Windows PowerShell 5.1 and PowerShell 7.
#
#   irm https://github.com/wildcard/caro-install/releases/latest/download/install.ps1 | iex
#
# With arguments for caro-install (see `caro-install --help`):
#
#   & ([scriptblock]::Create((irm https://github.com/wildcard/caro-install/releases/latest/download/install.ps1))) --version 1.0.2
#   iex "& { $(irm https://github.com/wildcard/caro-install/releases/latest/download/install.ps1) } --version 1.0.2"
#   powershell -ExecutionPolicy Bypass -File install.ps1 --version 1.0.2
#
# It only detects the architecture, downloads the matching caro-install build from the
# caro-install releases, verifies it against its .sha256 and runs it with every argument
# given here. Everything else is caro-install's job.
#
# Environment: CARO_INSTALLER_GITHUB_BASE_URL (default https://github.com), CARO_INSTALLER_REPO
# (default wildcard/caro-install), CARO_INSTALLER_VERSION (which caro-install to fetch, default
# latest), CARO_PRINT_QUIET, HTTPS_PROXY and NO_PROXY. Every CARO_* variable reaches
# caro-install unchanged; CARO_GITHUB_TOKEN is never sent by this script.
#
# Exit status: run as a file, this script exits with caro-install's exit code. Run with
# `irm | iex` or as a script block, `exit` would close the user's PowerShell window, so it sets
# $LASTEXITCODE instead and, on failure, writes one error (which stops a caller that runs with
# $ErrorActionPreference = 'Stop').
#
# Everything runs inside one script block: `irm | iex` then leaves no function and no
# preference behind in the user's session. A download cut short cannot run half of this file:
# PowerShell parses the whole text before it runs any of it, and a cut leaves the block open.

& {
    # Set only when this text runs from install.ps1 as a file, not through iex or a script block.
    $definedInFile = ({ }).File
    $callerErrorAction = $ErrorActionPreference
    $ErrorActionPreference = 'Stop'
    Set-StrictMode -Off
    # Invoke-WebRequest's progress bar makes Windows PowerShell 5.1 download very slowly.
    $ProgressPreference = 'SilentlyContinue'
    # PowerShell 7.3+ could otherwise turn caro-install's non-zero exit into an exception.
    Set-Variable -Name PSNativeCommandUseErrorActionPreference -Value $false

    $arguments = @($args)
    $quiet = "$env:CARO_PRINT_QUIET" -match '^\s*(1|true|yes|on)\s*$'
    foreach ($argument in $arguments) {
        $text = "$argument"
        if ($text -ceq '--') { break }
        if ($text -ceq '--quiet' -or $text -cmatch '^-[^-]*q') { $quiet = $true }
    }

    function Write-CaroMessage([string] $Message) {
        if (-not $quiet) { [Console]::Error.WriteLine($Message) }
    }

    # An exception whose Data['help'] says what the user can do; printed as `help:`.
    function Get-CaroError([string] $Message, [string] $Help) {
        $exception = New-Object -TypeName System.Exception -ArgumentList $Message
        if ($Help) { $exception.Data['help'] = $Help }
        return $exception
    }

    # The value checks of docs/security.md ("Values"): the same table as CHECKED_VARIABLES in
    # src/env.rs and the case patterns in install.sh (tests/bootstrap/values.tsv holds the
    # cases; tests/bootstrap/values_ps1.py runs these two patterns over them).
    # owner/name: one '/', both parts letters, digits, '.', '_' and '-', neither part '.', no '..'.
    $CaroRepositoryPattern = '^(?!.*\.\.)(?!\./)(?!.*/\.$)[A-Za-z0-9._-]+/[A-Za-z0-9._-]+$'
    # Whole seconds from 1 to 3600, leading zeros allowed.
    $CaroSecondsPattern = '^0*([1-9][0-9]{0,2}|[1-2][0-9]{3}|3[0-5][0-9]{2}|3600)$'

    # Throws unless $Value (of the variable $Name) is empty or matches $Pattern, case-sensitive.
    function Assert-CaroValue([string] $Name, [string] $Value, [string] $Pattern, [string] $Expected, [string] $Example) {
        if ($Value -and $Value -cnotmatch $Pattern) {
            throw (Get-CaroError "$Name=``$Value`` is not $Expected" "unset it, or set it like $Example")
        }
    }

    function Get-CaroSource {
        $base = "$env:CARO_INSTALLER_GITHUB_BASE_URL".Trim()
        if (-not $base) { $base = 'https://github.com' }
        $base = $base.TrimEnd('/')
        $repo = "$env:CARO_INSTALLER_REPO"
        if (-not $repo) { $repo = 'wildcard/caro-install' }
        Assert-CaroValue 'CARO_INSTALLER_REPO' $repo $CaroRepositoryPattern 'an owner/name repository' 'wildcard/caro-install'
        # caro-install reads these; refused here too, before anything is downloaded.
        Assert-CaroValue 'CARO_INSTALL_REPO' "$env:CARO_INSTALL_REPO" $CaroRepositoryPattern 'an owner/name repository' 'wildcard/caro'
        Assert-CaroValue 'CARO_HTTP_TIMEOUT' "$env:CARO_HTTP_TIMEOUT" $CaroSecondsPattern 'a whole number of seconds from 1 to 3600' '30'
        $uri = $null
        if (-not [System.Uri]::TryCreate($base, [System.UriKind]::Absolute, [ref] $uri)) {
            throw (Get-CaroError "CARO_INSTALLER_GITHUB_BASE_URL=``$base`` is not an address" 'unset it to download from GitHub, or set it to your mirror, like https://github.example.com')
        }
        switch ($uri.Scheme) {
            'https' { }
            'file' { }
            'http' {
                # Plain http only to this machine (test mirrors); refused before any request.
                if (-not $uri.IsLoopback -or $uri.UserInfo) {
                    throw (Get-CaroError "refusing the plain http:// address ``$base`` (CARO_INSTALLER_GITHUB_BASE_URL): only https://, file:// and loopback http:// are allowed" 'use https:// for your mirror')
                }
            }
            default {
                throw (Get-CaroError "CARO_INSTALLER_GITHUB_BASE_URL=``$base`` is not an https:// or file:// address" 'unset it to download from GitHub, or set it to your mirror, like https://github.example.com')
            }
        }
        $version = "$env:CARO_INSTALLER_VERSION".Trim()
        if (-not $version) { $version = 'latest' }
        $version = $version -replace '^v', ''
        if ($version -ne 'latest' -and $version -notmatch '^[0-9][0-9A-Za-z.+-]*$') {
            throw (Get-CaroError "CARO_INSTALLER_VERSION=``$env:CARO_INSTALLER_VERSION`` is not a version" 'set it like 0.1.0 or v0.1.0, or unset it to fetch the latest caro-install')
        }
        return @{ Base = $base; Repo = $repo; Version = $version; Scheme = $uri.Scheme }
    }

    # The platform keys to try, best first: windows-arm64 falls back to windows-amd64, which
    # Windows on ARM runs under emulation.
    function Get-CaroPlatform($Source) {
        if ((Test-Path variable:IsWindows) -and -not $IsWindows) {
            throw (Get-CaroError 'install.ps1 installs on Windows; this is not Windows' "on Linux and macOS, run: curl --proto '=https' --tlsv1.2 -fsSL $($Source.Base)/$($Source.Repo)/releases/latest/download/install.sh | sh")
        }
        $architecture = $null
        try {
            $architecture = "$([System.Runtime.InteropServices.RuntimeInformation]::OSArchitecture)"
        } catch {
            $architecture = $null
        }
        if (-not $architecture) {
            # .NET Framework before 4.7.1 lacks RuntimeInformation.
            $architecture = if ($env:PROCESSOR_ARCHITEW6432) { $env:PROCESSOR_ARCHITEW6432 } else { $env:PROCESSOR_ARCHITECTURE }
        }
        switch ($architecture) {
            'X64' { return @('windows-amd64') }
            'AMD64' { return @('windows-amd64') }
            'Arm64' { return @('windows-arm64', 'windows-amd64') }
            default {
                throw (Get-CaroError "caro-install is not built for the CPU ``$architecture`` (Windows)" 'caro-install is built for x64 and ARM64 Windows; elsewhere, build caro from source: cargo install caro --locked')
            }
        }
    }

    # The proxy for an https:// request: HTTPS_PROXY unless NO_PROXY names the host.
    # (PowerShell 5.1 reads only the system proxy; PowerShell 7 also reads these variables.)
    function Get-CaroProxy([System.Uri] $Uri) {
        $proxy = "$env:HTTPS_PROXY".Trim()
        if (-not $proxy) { $proxy = "$env:https_proxy".Trim() }
        if (-not $proxy -or $Uri.Scheme -ne 'https') { return $null }
        $noProxy = "$env:NO_PROXY,$env:no_proxy"
        foreach ($entry in $noProxy.Split(',')) {
            $suffix = $entry.Trim().TrimStart('*').TrimStart('.')
            if ($entry.Trim() -eq '*') { return $null }
            if ($suffix -and ($Uri.Host -eq $suffix -or $Uri.Host.EndsWith(".$suffix"))) { return $null }
        }
        return $proxy
    }

    # Saves Url to Path. Returns $true, or $false when the server has no such file (404);
    # throws on any other failure after three tries.
    function Save-CaroFile([string] $Url, [string] $Path) {
        $uri = [System.Uri] $Url
        if ($uri.Scheme -eq 'file') {
            if (-not (Test-Path -LiteralPath $uri.LocalPath -PathType Leaf)) { return $false }
            Copy-Item -LiteralPath $uri.LocalPath -Destination $Path -Force
            return $true
        }
        # No TimeoutSec: a large download is never cut off for being slow.
        $request = @{ Uri = $Url; OutFile = $Path; UseBasicParsing = $true }
        $proxy = Get-CaroProxy -Uri $uri
        if ($proxy) { $request['Proxy'] = $proxy }
        for ($attempt = 1; ; $attempt++) {
            try {
                Invoke-WebRequest @request
                return $true
            } catch {
                $status = 0
                $response = $_.Exception.Response
                if ($response) { $status = [int] $response.StatusCode }
                if ($status -eq 404) { return $false }
                $retryable = $status -eq 0 -or $status -eq 408 -or $status -eq 429 -or $status -ge 500
                if (-not $retryable -or $attempt -ge 3) {
                    throw (Get-CaroError "could not download ${Url}: $($_.Exception.Message)" 'check your connection and proxy (HTTPS_PROXY), then run this again')
                }
                Start-Sleep -Seconds $attempt
            }
        }
    }

    # The sha256 a .sha256 sidecar holds, in lower case. Accepted: `HEX`, `HEX  name`,
    # `HEX *name`, `SHA256 (name) = HEX`; any case; CRLF or LF.
    function Get-CaroSidecarHash([string] $Path, [string] $Url) {
        $line = Get-Content -LiteralPath $Path | Where-Object { "$_".Trim() } | Select-Object -First 1
        if ("$line" -match '^\s*SHA256 \(.*\)\s*=\s*([0-9a-f]{64})\s*$') { return $Matches[1].ToLowerInvariant() }
        if ("$line" -match '^\s*([0-9a-f]{64})(\s.*)?$') { return $Matches[1].ToLowerInvariant() }
        throw (Get-CaroError "the checksum file $Url holds no sha256 digest; nothing was run" 'report it at https://github.com/wildcard/caro-install/issues')
    }

    # Downloads and verifies caro-install into Directory; returns the path of the executable.
    function Get-CaroInstaller($Source, [string[]] $Platforms, [string] $Directory) {
        $exe = Join-Path $Directory 'caro-install.exe'
        $sidecar = Join-Path $Directory 'caro-install.exe.sha256'
        $releases = "$($Source.Base)/$($Source.Repo)/releases"
        $what = if ($Source.Version -eq 'latest') { 'caro-install' } else { "caro-install $($Source.Version)" }
        $tried = @()
        $url = $null
        foreach ($platform in $Platforms) {
            if ($tried.Count -gt 0) {
                Write-CaroMessage "note: no $what build for $($Platforms[0]); using $platform, which Windows runs under emulation"
            }
            if ($Source.Version -eq 'latest') {
                $candidates = @("$releases/latest/download/caro-install-$platform.exe")
            } else {
                $candidates = @(
                    "$releases/download/v$($Source.Version)/caro-install-$($Source.Version)-$platform.exe",
                    "$releases/download/v$($Source.Version)/caro-install-$platform.exe")
            }
            Write-CaroMessage "downloading $what for $platform"
            foreach ($candidate in $candidates) {
                if (Save-CaroFile -Url $candidate -Path $exe) { $url = $candidate; break }
                $tried += $candidate
            }
            if ($url) { break }
        }
        if (-not $url) {
            $help = if ($Source.Version -eq 'latest') {
                "the published builds are listed at $releases"
            } else {
                "check CARO_INSTALLER_VERSION=$($Source.Version) against $releases, or unset it to fetch the latest caro-install"
            }
            throw (Get-CaroError "no $what build for ``$($Platforms[0])`` was found (404 from $($tried -join ', '))" "$help; caro can also be built from source: cargo install caro --locked")
        }
        if (-not (Save-CaroFile -Url "$url.sha256" -Path $sidecar)) {
            throw (Get-CaroError "the checksum file $url.sha256 does not exist (404), so the download cannot be verified; nothing was run" 'report it at https://github.com/wildcard/caro-install/issues')
        }
        $expected = Get-CaroSidecarHash -Path $sidecar -Url "$url.sha256"
        $actual = (Get-FileHash -LiteralPath $exe -Algorithm SHA256).Hash.ToLowerInvariant()
        if ($expected -ne $actual) {
            Remove-Item -LiteralPath $exe -Force
            throw (Get-CaroError "checksum mismatch for $url; nothing was run`n  expected sha256: $expected (from $url.sha256)`n  actual sha256:   $actual" 'the download was corrupted or tampered with; try again, and if it persists report it at https://github.com/wildcard/caro-install/issues')
        }
        return $exe
    }

    $code = 1
    $directory = $null
    try {
        # Windows PowerShell 5.1 may default to TLS 1.0, which GitHub refuses.
        [System.Net.ServicePointManager]::SecurityProtocol = [System.Net.ServicePointManager]::SecurityProtocol -bor [System.Net.SecurityProtocolType]::Tls12
        $source = Get-CaroSource
        $platforms = Get-CaroPlatform -Source $source
        $directory = Join-Path ([System.IO.Path]::GetTempPath()) "caro-install-$([System.Guid]::NewGuid().ToString('N'))"
        New-Item -ItemType Directory -Path $directory | Out-Null
        $exe = Get-CaroInstaller -Source $source -Platforms $platforms -Directory $directory
        # 'Continue' while it runs: Windows PowerShell 5.1 would otherwise stop on the first line
        # caro-install writes to stderr whenever the caller redirects the error stream.
        $ErrorActionPreference = 'Continue'
        & $exe @arguments
        $code = $LASTEXITCODE
        $ErrorActionPreference = 'Stop'
    } catch {
        [Console]::Error.WriteLine("error: $($_.Exception.Message)")
        $help = $_.Exception.Data['help']
        if ($help) { [Console]::Error.WriteLine("help: $help") }
        $code = 1
    } finally {
        if ($directory) { Remove-Item -LiteralPath $directory -Recurse -Force -ErrorAction SilentlyContinue }
    }

    if ($definedInFile) { exit $code }
    Set-Variable -Name LASTEXITCODE -Value $code -Scope Global
    if ($code -ne 0) {
        Write-Error -Message "caro-install failed (exit code $code)" -ErrorAction $callerErrorAction
    }
} @args
