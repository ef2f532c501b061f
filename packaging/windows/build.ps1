# Build the Windows bundle (dist\kimai-tray) and the Inno Setup installer (dist\*-setup.exe).
#   pwsh packaging\windows\build.ps1 [-Python python]
# Needs: PyInstaller in the Python environment, Inno Setup 6 (iscc) on PATH or in its default folder.
param([string]$Python = "python")
$ErrorActionPreference = "Stop"
$Root = Resolve-Path "$PSScriptRoot\..\.."
Set-Location $Root

$Version = & $Python -c "import kimai_tray; print(kimai_tray.__version__)"
if ($LASTEXITCODE) { throw "kimai_tray is not importable with $Python" }

# The .exe and installer icon, rendered from the app SVG with Qt (no extra tools).
& $Python packaging\render_icons.py resources\icons\org.kimai.KimaiTray.svg build ico
if ($LASTEXITCODE) { throw "icon rendering failed" }

& $Python -m PyInstaller --noconfirm --log-level WARN --distpath dist --workpath build\pyinstaller `
    packaging\kimai-tray.spec
if ($LASTEXITCODE) { throw "PyInstaller failed" }

$Iscc = (Get-Command iscc -ErrorAction SilentlyContinue).Source
if (-not $Iscc) { $Iscc = "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe" }
& $Iscc "/DAppVersion=$Version" packaging\windows\kimai-tray.iss
if ($LASTEXITCODE) { throw "Inno Setup failed" }
Write-Host "installer: dist\kimai-tray-$Version-setup.exe"
