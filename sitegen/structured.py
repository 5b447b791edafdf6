"""Structured data (JSON-LD) for search engines: JobPosting, Organization, Person, BreadcrumbList."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from markupsafe import Markup

from .model import Page, Person, Posting, Site

CONTEXT = "https://schema.org"
CREDENTIALS = {
    "high_school": "high school", "associate_degree": "associate degree", "bachelor_degree": "bachelor degree",
    "professional_certificate": "professional certificate", "postgraduate_degree": "postgraduate degree",
}
Absolute = Callable[[str], str]


def jsonld(data: dict[str, Any]) -> Markup:
    """Return a JSON-LD script element whose content cannot end the element or open a comment."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), check_circular=False)  # (plain data: no cycle)
    text = text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
    return Markup(f'<script type="application/ld+json">{text}</script>')


def organization_id(site: Site) -> str:
    """Return the `@id` that every page uses for the employer."""
    return site.config.base_url + "#organization"


def organization(site: Site, absolute: Absolute, asset: Callable[[str], str]) -> dict[str, Any]:
    """Return the Organization of the home pages."""
    org = site.config.organisation
    data: dict[str, Any] = {"@context": CONTEXT, "@type": "Organization", "@id": organization_id(site),
                            "name": org.name, "url": org.url}
    if org.logo:
        data["logo"] = absolute(asset(org.logo))
    if org.same_as:
        data["sameAs"] = list(org.same_as)
    return data


def job_posting(posting: Posting, site: Site, description: str, absolute: Absolute,
                asset: Callable[[str], str]) -> dict[str, Any]:
    """Return a posting's JobPosting in its page's language, with every fact the content has."""
    facts, org = posting.facts, site.config.organisation
    hiring: dict[str, Any] = {"@type": "Organization", "@id": organization_id(site), "name": org.name,
                              "url": org.url, "sameAs": org.url}
    if org.logo:
        hiring["logo"] = absolute(asset(org.logo))
    address: dict[str, Any] = {"@type": "PostalAddress", "addressLocality": facts.location.locality,
                               "addressCountry": facts.location.country}
    for key, part in (("addressRegion", facts.location.region), ("streetAddress", facts.location.street_address),
                      ("postalCode", facts.location.postal_code)):
        if part:
            address[key] = part
    data: dict[str, Any] = {
        "@context": CONTEXT, "@type": "JobPosting",
        "title": posting.title,
        "description": description,
        "datePosted": facts.date_posted.isoformat(),
        "hiringOrganization": hiring,
        "jobLocation": {"@type": "Place", "address": address},
        "employmentType": list(facts.employment_type),
        "directApply": facts.direct_apply,
        "url": absolute(posting.url),
        "inLanguage": posting.text_lang or posting.lang,
    }
    if facts.identifier:
        data["identifier"] = {"@type": "PropertyValue", "name": org.name, "value": facts.identifier}
    if facts.closes_on:
        data["validThrough"] = f"{facts.closes_on.isoformat()}T23:59:59"
    if posting.requirement:
        data["qualifications"] = posting.requirement
    if facts.pay:
        value: dict[str, Any] = {"@type": "QuantitativeValue", "unitText": facts.pay.unit}
        if facts.pay.max is not None and facts.pay.max != facts.pay.min:
            value.update(minValue=facts.pay.min, maxValue=facts.pay.max)
        else:
            value["value"] = facts.pay.min
        data["baseSalary"] = {"@type": "MonetaryAmount", "currency": facts.pay.currency, "value": value}
    if facts.education:
        data["educationRequirements"] = {"@type": "EducationalOccupationalCredential",
                                         "credentialCategory": CREDENTIALS[facts.education]}
    if facts.experience_months is not None:
        data["experienceRequirements"] = {"@type": "OccupationalExperienceRequirements",
                                          "monthsOfExperience": facts.experience_months}
    if facts.experience_in_place_of_education is not None:
        data["experienceInPlaceOfEducation"] = facts.experience_in_place_of_education
    if facts.remote == "remote":
        data["jobLocationType"] = "TELECOMMUTE"
        data["applicantLocationRequirements"] = {"@type": "Country", "name": facts.location.country}
    return data


def people(site: Site, team: tuple[Person, ...]) -> dict[str, Any]:
    """Return the team as Person items that work for the Organization."""
    return {"@context": CONTEXT, "@graph": [
        {"@type": "Person", "name": p.name, "jobTitle": p.role, "worksFor": {"@id": organization_id(site)}}
        for p in team
    ]}


def breadcrumbs(trail: list[tuple[str, str]], absolute: Absolute) -> dict[str, Any]:
    """Return a BreadcrumbList from (name, URL) pairs, home first."""
    return {"@context": CONTEXT, "@type": "BreadcrumbList", "itemListElement": [
        {"@type": "ListItem", "position": index, "name": name, "item": absolute(url)}
        for index, (name, url) in enumerate(trail, 1)
    ]}


def trail(site: Site, page: Page, home_name: str) -> list[tuple[str, str]]:
    """Return the breadcrumb trail of an inner page: its language's home, then the page."""
    home = site.page(page.lang, "pages/home")
    start = [(home_name, home.url)] if home is not None and home.url != page.url else []
    return [*start, (page.title, page.url)] if start else []
