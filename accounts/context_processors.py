def navigation(request):
    """Navigation flags for the base template; no queries. Each flag names the roles that use
    the page, so a role added later sees no link until it is named here."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_leads": user.sees_leads,
        "nav_today": user.is_prospector or user.is_manager,
        "nav_cadences": user.is_prospector or user.is_manager or user.is_admin_role,
        "nav_marketing": user.is_marketing or user.is_manager or user.is_admin_role,
        "nav_imports": user.is_marketing
        or user.is_manager
        or user.is_prospector
        or user.is_admin_role,
        "nav_dashboards": user.does_sales_work,
        "nav_api_tokens": user.does_sales_work,
        "nav_two_factor": user.is_manager or user.is_admin_role or user.is_privacy_officer,
        "nav_privacy": user.is_manager or user.is_admin_role or user.is_privacy_officer,
        "nav_admin": user.is_staff,
    }
