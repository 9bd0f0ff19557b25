"""frmr-sso: an OpenID Connect identity broker between ESIA (Gosuslugi) and FRMR / hospital systems."""

from frmr_sso._third_party import silence_known_warnings

silence_known_warnings()
