# tests/bootstrap/windows-mirror.ps1: runs install.ps1 for real on Windows, against a release
# mirror served on 127.0.0.1 by `python -m http.server --bind 127.0.0.1`, under Windows
# PowerShell 5.1 and PowerShell 7 (whichever are installed). tests/bootstrap/README.md says how
# CI runs it. From the repository root, after `cargo build`:
#
#   pwsh -NoProfile -File tests/bootstrap/windows-mirror.ps1
#   pwsh -NoProfile -File tests/bootstrap/windows-mirror.ps1 -CaroInstall target\release\caro-install.exe -Python py
#
# Nothing here touches the internet. The last line is `N passed, M failed`; the exit status is
# 1 when anything failed.
#
# caro's fixture "executables" are shell-script stand-ins that Windows cannot run, so an install
# is checked by the sha256 of the installed caro.exe, not by running it.

param(
    [string] $CaroInstall = 'target\debug\caro-install.exe',
    [string] $Python = 'python'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 2.0

$repository = (Resolve-Path -LiteralPath (Join-Path $PSScriptRoot '..\..')).Path
$installPs1 = Join-Path $repository 'install.ps1'
$caroInstallExe = (Resolve-Path -LiteralPath $CaroInstall).Path
$work = Join-Path ([System.IO.Path]::GetTempPath()) "caro-bootstrap-$([System.Guid]::NewGuid().ToString('N'))"
$mirror = Join-Path $work 'mirror'
$serverLog = Join-Path $work 'server.log'
$script:passed = 0
$script:failed = 0

function Get-Sha256([string] $Path) {
    return (Get-FileHash -LiteralPath $Path -Algorithm SHA256).Hash.ToLowerInvariant()
}

# Copies Source to Directory\Name with a Name.sha256 sidecar: the GNU form, or Sidecar as given.
function Publish-Asset([string] $Directory, [string] $Name, [string] $Source, [string] $Sidecar) {
    New-Item -ItemType Directory -Force -Path $Directory | Out-Null
    Copy-Item -LiteralPath $Source -Destination (Join-Path $Directory $Name)
    if (-not $Sidecar) { $Sidecar = "$(Get-Sha256 -Path $Source)  $Name`n" }
    [System.IO.File]::WriteAllText((Join-Path $Directory "$Name.sha256"), $Sidecar)
}

# --- the mirror --------------------------------------------------------------------------

$genuine = Get-Sha256 -Path $caroInstallExe
$releases = Join-Path $mirror 'wildcard\caro-install\releases'
# No windows-arm64 build: on an ARM64 machine this exercises the fall back to windows-amd64.
Publish-Asset -Directory "$releases\latest\download" -Name 'caro-install-windows-amd64.exe' -Source $caroInstallExe
# A repository with only a pinned release (no latest): success proves the pinned path was used.
Publish-Asset -Directory "$mirror\test\pinned\releases\download\v0.1.0" -Name 'caro-install-0.1.0-windows-amd64.exe' `
    -Source $caroInstallExe -Sidecar "SHA256 (caro-install-0.1.0-windows-amd64.exe) = $($genuine.ToUpperInvariant())`r`n"
# Tampered: another file served with the genuine caro-install's sidecar.
Publish-Asset -Directory "$mirror\test\tampered\releases\latest\download" -Name 'caro-install-windows-amd64.exe' `
    -Source $installPs1 -Sidecar "$genuine  caro-install-windows-amd64.exe`n"
New-Item -ItemType Directory -Force -Path "$mirror\test\empty\releases" | Out-Null
Copy-Item -Recurse -LiteralPath (Join-Path $repository 'fixtures\mirror\wildcard\caro') -Destination "$mirror\wildcard\caro"
Copy-Item -LiteralPath $installPs1 -Destination "$mirror\install.ps1"
$caroSha = Get-Sha256 -Path "$mirror\wildcard\caro\releases\download\v1.0.3\caro-1.0.3-windows-amd64.exe"

# --- the server --------------------------------------------------------------------------

$listener = New-Object -TypeName System.Net.Sockets.TcpListener -ArgumentList ([System.Net.IPAddress]::Loopback), 0
$listener.Start()
$port = $listener.LocalEndpoint.Port
$listener.Stop()
$base = "http://127.0.0.1:$port"
$server = Start-Process -FilePath $Python -PassThru -NoNewWindow -RedirectStandardError $serverLog `
    -RedirectStandardOutput (Join-Path $work 'server.out') `
    -ArgumentList @('-m', 'http.server', "$port", '--bind', '127.0.0.1', '--directory', "`"$mirror`"")
$ready = $false
for ($i = 0; $i -lt 50 -and -not $ready; $i++) {
    try {
        Invoke-WebRequest -Uri "$base/install.ps1" -UseBasicParsing | Out-Null
        $ready = $true
    } catch {
        Start-Sleep -Milliseconds 200
    }
}
if (-not $ready) { throw "the mirror server did not start on $base" }

# --- running install.ps1 -----------------------------------------------------------------

# Runs Command with Shell (powershell or pwsh) in a fresh LOCALAPPDATA, with the mirror and
# Environment in its environment. Returns Code, Out, Err and Home.
function Invoke-Case([string] $Shell, [string] $Command, [hashtable] $Environment, [string[]] $FileArguments) {
    $caseHome = Join-Path $work ([System.Guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Force -Path "$caseHome\AppData\Local" | Out-Null
    $variables = @{ CARO_INSTALLER_GITHUB_BASE_URL = $base; LOCALAPPDATA = "$caseHome\AppData\Local" }
    if ($Environment) { foreach ($name in $Environment.Keys) { $variables[$name] = $Environment[$name] } }
    $saved = @{}
    foreach ($name in $variables.Keys) {
        $saved[$name] = [System.Environment]::GetEnvironmentVariable($name)
        [System.Environment]::SetEnvironmentVariable($name, $variables[$name])
    }
    try {
        if ($FileArguments) {
            $shellArguments = @('-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', "`"$installPs1`"") + $FileArguments
        } else {
            $encoded = [System.Convert]::ToBase64String([System.Text.Encoding]::Unicode.GetBytes($Command))
            $shellArguments = @('-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand', $encoded)
        }
        $process = Start-Process -FilePath $Shell -ArgumentList $shellArguments -Wait -PassThru -NoNewWindow `
            -RedirectStandardOutput "$caseHome\out.txt" -RedirectStandardError "$caseHome\err.txt"
        return @{
            Code = $process.ExitCode
            Out = [System.IO.File]::ReadAllText("$caseHome\out.txt")
            Err = [System.IO.File]::ReadAllText("$caseHome\err.txt")
            Home = $caseHome
        }
    } finally {
        foreach ($name in $saved.Keys) { [System.Environment]::SetEnvironmentVariable($name, $saved[$name]) }
    }
}

# Records a test: Problems is the list of expectations that did not hold.
function Write-Result([string] $Name, [string[]] $Problems, $Result) {
    if (-not $Problems) {
        $script:passed++
        Write-Output "ok    $Name"
    } else {
        $script:failed++
        Write-Output "FAIL  $Name"
        foreach ($problem in $Problems) { Write-Output "        $problem" }
        if ($Result) {
            Write-Output "        --- exit code $($Result.Code); stdout:"
            Write-Output $Result.Out
            Write-Output "        --- stderr:"
            Write-Output $Result.Err
        }
    }
}

# The expectations for a successful install of caro 1.0.3 into the default directory.
function Test-Installed($Result) {
    $problems = @()
    if ($Result.Code -ne 0) { $problems += "exit code $($Result.Code), expected 0" }
    $caro = "$($Result.Home)\AppData\Local\caro\bin\caro.exe"
    if (-not (Test-Path -LiteralPath $caro)) {
        $problems += "$caro was not installed"
    } elseif ((Get-Sha256 -Path $caro) -ne $caroSha) {
        $problems += "$caro is not caro 1.0.3"
    }
    if (-not (Test-Path -LiteralPath "$($Result.Home)\AppData\Local\caro\bin\caro-install.exe")) {
        $problems += 'caro-install did not copy itself next to caro'
    }
    return , $problems
}

function Test-Failed($Result, [int] $Code, [string[]] $Texts) {
    $problems = @()
    if ($Result.Code -ne $Code) { $problems += "exit code $($Result.Code), expected $Code" }
    foreach ($text in $Texts) {
        if (-not $Result.Err.Contains($text)) { $problems += "stderr lacks: $text" }
    }
    if (Test-Path -LiteralPath "$($Result.Home)\AppData\Local\caro\bin\caro.exe") { $problems += 'caro was installed' }
    return , $problems
}

$installArguments = '--version 1.0.3 -y --no-modify-path'
$shells = @('powershell', 'pwsh') | Where-Object { Get-Command -Name $_ -ErrorAction SilentlyContinue }

try {
    foreach ($shell in $shells) {
        $result = Invoke-Case -Shell $shell -Command "Invoke-RestMethod '$base/install.ps1' | Invoke-Expression; exit `$LASTEXITCODE" `
            -Environment @{ CARO_INSTALL_VERSION = '1.0.3'; CARO_NO_MODIFY_PATH = '1' }
        Write-Result -Name "${shell}: irm install.ps1 | iex installs caro 1.0.3" -Problems (Test-Installed $result) -Result $result

        $result = Invoke-Case -Shell $shell -Command "& ([scriptblock]::Create((Invoke-RestMethod '$base/install.ps1'))) $installArguments; exit `$LASTEXITCODE"
        Write-Result -Name "${shell}: & ([scriptblock]::Create((irm install.ps1))) --version 1.0.3 passes the arguments" -Problems (Test-Installed $result) -Result $result

        $result = Invoke-Case -Shell $shell -Command "Invoke-Expression `"& { `$(Invoke-RestMethod '$base/install.ps1') } $installArguments`"; exit `$LASTEXITCODE"
        Write-Result -Name "${shell}: iex `"& { `$(irm install.ps1) } --version 1.0.3`" passes the arguments" -Problems (Test-Installed $result) -Result $result

        $result = Invoke-Case -Shell $shell -FileArguments @('--version', '1.0.3', '-y', '--no-modify-path')
        Write-Result -Name "${shell}: -File install.ps1 --version 1.0.3 installs caro 1.0.3" -Problems (Test-Installed $result) -Result $result

        $result = Invoke-Case -Shell $shell -FileArguments @('--version', '1.0.3', '-y', '--no-modify-path') `
            -Environment @{ CARO_INSTALLER_VERSION = 'v0.1.0'; CARO_INSTALLER_REPO = 'test/pinned' }
        Write-Result -Name "${shell}: CARO_INSTALLER_VERSION=v0.1.0 fetches the pinned caro-install" -Problems (Test-Installed $result) -Result $result

        $result = Invoke-Case -Shell $shell -FileArguments @('-y') -Environment @{ CARO_INSTALLER_REPO = 'test/tampered' }
        Write-Result -Name "${shell}: a tampered caro-install fails with both digests and is not run" -Result $result `
            -Problems (Test-Failed -Result $result -Code 1 -Texts @('error: checksum mismatch', "expected sha256: $genuine", "actual sha256:   $(Get-Sha256 -Path $installPs1)"))

        $result = Invoke-Case -Shell $shell -FileArguments @('-y') -Environment @{ CARO_INSTALLER_REPO = 'test/empty' }
        Write-Result -Name "${shell}: no caro-install build (404) is a clear error" -Result $result `
            -Problems (Test-Failed -Result $result -Code 1 -Texts @('error: no caro-install build for `windows-', 'help: '))

        $result = Invoke-Case -Shell $shell -FileArguments @('-y') -Environment @{ CARO_INSTALLER_GITHUB_BASE_URL = 'http://example.com' }
        Write-Result -Name "${shell}: a non-loopback http:// mirror is refused" -Result $result `
            -Problems (Test-Failed -Result $result -Code 1 -Texts @('error: refusing the plain http:// address'))

        $result = Invoke-Case -Shell $shell -FileArguments @('--no-such-option')
        Write-Result -Name "${shell}: -File exits with caro-install's exit code (2 for a usage error)" -Result $result `
            -Problems (Test-Failed -Result $result -Code 2 -Texts @('--no-such-option'))

        # Run as a script block, a failure must not end the caller's session.
        $result = Invoke-Case -Shell $shell -Command "& ([scriptblock]::Create((Invoke-RestMethod '$base/install.ps1'))) --no-such-option; Write-Output `"still here `$LASTEXITCODE`""
        $problems = @()
        if (-not $result.Out.Contains('still here 2')) { $problems += 'the session did not go on with $LASTEXITCODE = 2' }
        Write-Result -Name "${shell}: a failure inside irm | iex sets `$LASTEXITCODE and leaves the session open" -Problems $problems -Result $result
    }
    if (-not $shells) { Write-Result -Name 'powershell or pwsh is installed' -Problems @('neither was found') -Result $null }
} finally {
    Stop-Process -Id $server.Id -Force -ErrorAction SilentlyContinue
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
}

Write-Output "$script:passed passed, $script:failed failed"
if ($script:failed -gt 0) { exit 1 }
